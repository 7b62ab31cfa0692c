import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AuditOperation,
  DEFAULT_PURPOSES,
  envelopeFromJson,
  Purpose,
  RecallReason,
  uuidv7,
} from '#contracts';
import { loadDirectory } from '#directory';
import { asJson, validModusOperandiReportEnvelope, validRouteReportEnvelope } from '#testing';
import { type NodeAppHarness, startNodeAppForTest, startNodeAppHarness } from '#testing/node-app';
import { AFIC_MIGRATIONS, aficProviders } from '../afic.setup.js';
import { AficHandler } from '../afic.handler.js';
import { FOUR_WEEKS_MS } from '../afic.setup.js';
import { JointAnalysisService, OBSERVATION_ENTRY } from '../joint-analysis/joint-analysis.service.js';
import { PARTNER_RELEASE_ENTRY } from './partner-bridge.handler.js';
import { PERSONAL_DATA_REMOVED } from './partner-release.js';

const NODE = 'afic';

/**
 * AFIC's bridge on real NATS and PostgreSQL: a route report kept from Niger and Nigeria only for its personal
 * data goes to each as a copy without it, every field taken out audited; the same item again releases
 * nothing more, also after a restart; and a recall of the original recalls each copy.
 */
describe("AFIC's bridge to the partner countries", () => {
  let h: NodeAppHarness;
  const directory = loadDirectory('deploy/directory.yaml');

  beforeAll(async () => {
    h = await startNodeAppHarness({
      nodeId: NODE,
      schema: 'aficbridge',
      boot: (bed) =>
        startNodeAppForTest({
          ...bed,
          nodeId: NODE,
          handler: AficHandler,
          providers: aficProviders(directory),
          migrations: AFIC_MIGRATIONS,
        }),
    });
  });

  afterAll(() => h?.dispose());

  const original = (() => {
    const json = validRouteReportEnvelope({
      id: uuidv7(),
      createdAt: new Date().toISOString(),
      sender: 'cp-it',
      author: 'cp-it.analyst-1',
      recipients: ['afic'],
      tlp: 'TLP_GREEN',
      containsPersonalData: true,
      releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES', thirdCountries: ['NE', 'NG'] },
    });
    json.routeReport!.narrative = 'The boat driver "Abu Salah" takes bookings on +218 91 234 5678.';
    return envelopeFromJson(asJson(json));
  })();
  const unrelated = (sender: string) =>
    envelopeFromJson(
      asJson(
        validModusOperandiReportEnvelope({ id: uuidv7(), sender, author: `${sender}.a`, recipients: [NODE] }),
      ),
    );

  const released = async () => (await h.submitted()).filter((e) => e.payload.case === 'routeReport');

  it('releases a copy without the personal data to each partner the router kept the report from for it', async () => {
    await h.deliverAndWait(original);
    const copies = await released();
    expect(copies.map((c) => c.recipients[0]).sort()).toEqual(['afic-partner-ne', 'afic-partner-ng']);
    for (const c of copies) {
      expect(c.containsPersonalData).toBe(false);
      expect(c.inReplyTo).toBe(original.id);
      expect(c.payload.case === 'routeReport' && c.payload.value.narrative).toBe('');
      // What the original serves (a route report's defaults), stated: the partner may use it for no more.
      expect(c.purposes).toEqual(DEFAULT_PURPOSES.routeReport);
    }
    const altered = await h.events(AuditOperation.ALTERED, original.id);
    expect(
      altered
        .map((e) => [e.counterpartNode, (JSON.parse(e.detailJson) as { field: string }).field, e.rule])
        .sort(),
    ).toEqual([
      ['afic-partner-ne', 'routeReport.narrative', PERSONAL_DATA_REMOVED],
      ['afic-partner-ng', 'routeReport.narrative', PERSONAL_DATA_REMOVED],
    ]);
    expect(JSON.parse(altered[0].detailJson)).toMatchObject({
      release: copies.find((c) => c.recipients[0] === altered[0].counterpartNode)!.id,
      agreement: expect.stringMatching(/^frontex-n[eg]-/),
    });
  });

  it('releases nothing twice, after a redelivery past the deduplication window or a restart', async () => {
    await h.outlastDeduplication();
    await h.deliver(original);
    await h.deliverAndWait(unrelated('cp-gr'));
    await h.restart();
    await h.deliver(original);
    await h.deliverAndWait(unrelated('cp-es'));
    expect(await released()).toHaveLength(2);
  });

  it('recalls every copy released of a recalled report, and states it in the erasure', async () => {
    const copies = await released();
    expect(await h.recall(original, 'Wrong route.')).toEqual([
      'copy',
      `${PARTNER_RELEASE_ENTRY}:afic-partner-ne`,
      `${PARTNER_RELEASE_ENTRY}:afic-partner-ng`,
      `${OBSERVATION_ENTRY}:joint-analysis`,
    ]);
    const recalls = (await h.submitted()).filter((e) => e.payload.case === 'recall');
    expect(
      recalls
        .map((r) => (r.payload.case === 'recall' ? [r.payload.value.messageId, r.payload.value.reason] : []))
        .sort(),
    ).toEqual(copies.map((c) => [c.id, RecallReason.INACCURATE]).sort());
  });

  it('issues the joint analysis of a route once per period, to each partner whose country the reports were released to', async () => {
    const analysis = h.app().get(JointAnalysisService);
    // The route reports received this period; the one recalled before no longer counts.
    const reportOf = (sender: string, purposes?: string[]) => {
      const json = validRouteReportEnvelope({
        id: uuidv7(),
        createdAt: new Date().toISOString(),
        sender,
        author: `${sender}.analyst-1`,
        recipients: ['afic'],
        tlp: 'TLP_GREEN',
        ...(purposes ? { purposes } : {}),
      });
      return envelopeFromJson(asJson(json));
    };
    const later = Date.now() + FOUR_WEEKS_MS;
    await h.deliverAndWait(reportOf('cp-gr'));
    await h.deliverAndWait(reportOf('cp-mt'));
    // A third party's report given for criminal investigation alone adds nothing to the analysis: still
    // two parties, under the disclosure threshold.
    const forInvestigation = reportOf('cp-fr', ['PURPOSE_CRIMINAL_INVESTIGATION']);
    await h.deliverAndWait(forInvestigation);
    const [withheld] = await h.eventsOnce(AuditOperation.WITHHELD, forInvestigation.id);
    expect(withheld.rule).toBe('NODE.PURPOSE_NOT_COVERED');
    expect(JSON.parse(withheld.detailJson)).toMatchObject({
      use: 'joint-analysis',
      serves: ['risk-analysis'],
    });
    expect(await analysis.issueDue(later)).toEqual([]);
    await h.deliverAndWait(reportOf('cp-es'));
    const [id] = await analysis.issueDue(later);
    const product = (await h.submitted()).find((e) => e.id === id)!;
    // Released to Niger only (the reports' releasability): Nigeria's partner gets no figures of them.
    expect(product.recipients).toEqual(['afic-partner-ne']);
    expect(product.purposes).toEqual([Purpose.RISK_ANALYSIS]);
    expect(product.payload.case === 'analysisProduct' && product.payload.value.summary).toMatch(
      /^Central Mediterranean, .*: 3 route reports and 0 debriefings from 3 parties\. Departures: NE 3\./,
    );
    expect(await analysis.issueDue(later)).toEqual([]);
    await h.restart();
    expect(await h.app().get(JointAnalysisService).issueDue(later)).toEqual([]);
  });
});
