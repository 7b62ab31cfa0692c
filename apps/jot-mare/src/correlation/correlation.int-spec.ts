import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { AuditOperation, envelopeFromJson, uuidv7, type EnvelopeJson } from '#contracts';
import { loadDirectory } from '#directory';
import {
  asJson,
  validDebriefingReportEnvelope,
  validFinancialLeadEnvelope,
  validModusOperandiReportEnvelope,
  validRouteReportEnvelope,
  waitFor,
} from '#testing';
import { type NodeAppHarness, startNodeAppHarness } from '#testing/node-app';
import { JotMareHandler } from '../jot-mare.handler.js';
import { startJotMareForTest } from '../jot-mare.test-app.js';
import { LINK_NEEDS_CONSENT } from './correlation.js';
import { SELECTOR_INDEX_ENTRY } from './selector-correlator.js';

const NODE = 'jot-mare';
const IBAN = 'IT60X0542811101000000123456';

/**
 * JOT MARE's correlation on real NATS and PostgreSQL: reports of different parties that carry one IBAN are
 * linked, each originator is told of the reports it may see and of no other, each link once across
 * redeliveries and restarts, and a recalled report leaves the index and links to nothing after.
 */
describe("JOT MARE's correlation of selectors", () => {
  let h: NodeAppHarness;
  const directory = loadDirectory('deploy/directory.yaml');

  beforeAll(async () => {
    h = await startNodeAppHarness({
      nodeId: NODE,
      schema: 'correlation',
      boot: (bed) => startJotMareForTest({ ...bed, directory, handler: JotMareHandler }),
    });
  });

  afterAll(() => h?.dispose());

  const marking = (sender: string, overrides: Partial<EnvelopeJson>): Partial<EnvelopeJson> => ({
    id: uuidv7(),
    createdAt: new Date().toISOString(),
    sender,
    author: `${sender}.analyst-1`,
    recipients: [NODE],
    handlingCode: 'HANDLING_CODE_H1',
    tlp: 'TLP_GREEN',
    ...overrides,
  });
  /** A financial lead naming the one IBAN (the fixture's first account). */
  const lead = (sender: string, overrides: Partial<EnvelopeJson> = {}) => {
    const json = validFinancialLeadEnvelope(marking(sender, overrides));
    json.financialLead!.accounts = json.financialLead!.accounts!.slice(0, 1);
    return envelopeFromJson(asJson(json));
  };
  const debriefing = (sender: string) => {
    const json = validDebriefingReportEnvelope(marking(sender, {}));
    json.debriefingReport!.selectors = { ibans: [IBAN] };
    return envelopeFromJson(asJson(json));
  };

  /** A report that carries no selector. */
  const unlinked = (sender: string) =>
    envelopeFromJson(asJson(validModusOperandiReportEnvelope(marking(sender, {}))));

  const notices = async () => (await h.submitted()).filter((e) => e.payload.case === 'hitNotice');
  /** The links each party was told of: `<party> <own report> -> <linked report>@<holder>`. */
  const told = async () =>
    (await notices())
      .flatMap((n) => {
        if (n.payload.case !== 'hitNotice') return [];
        const { requestId, matchingMessageIds, holders } = n.payload.value;
        return matchingMessageIds.map((id, i) => `${n.recipients[0]} ${requestId} -> ${id}@${holders[i]}`);
      })
      .sort();
  const gr = lead('cp-gr');
  const it_ = debriefing('cp-it');
  // cp-mt's lead is H2 and AMBER: only the parties it names (cp-it) may learn of it.
  const mt = lead('cp-mt', {
    handlingCode: 'HANDLING_CODE_H2',
    tlp: 'TLP_AMBER',
    recipients: [NODE, 'cp-it'],
  });

  it('tells no one while only one party reported the IBAN', async () => {
    await h.deliverAndWait(gr);
    expect(await notices()).toEqual([]);
  });

  it("tells both originators of the link, naming the other's report and its holder", async () => {
    await h.deliverAndWait(it_);
    await waitFor(async () => ((await notices()).length === 2 ? true : undefined), 'two notices');
    expect(await told()).toEqual(
      [`cp-gr ${gr.id} -> ${it_.id}@cp-it`, `cp-it ${it_.id} -> ${gr.id}@cp-gr`].sort(),
    );
    const [notice] = (await notices()).filter((n) => n.recipients[0] === 'cp-it');
    expect(notice.payload.case === 'hitNotice' && notice.payload.value.selector?.value).toBe(IBAN);
    const [combined] = await h.events(AuditOperation.COMBINED, it_.id);
    expect(JSON.parse(combined.detailJson)).toEqual({
      linked: gr.id,
      holder: 'cp-gr',
      selectorKinds: ['iban'],
      told: ['cp-gr', 'cp-it'],
    });
  });

  it('keeps a restricted report from a party that does not hold it, and audits that it was not told', async () => {
    await h.deliverAndWait(mt);
    await waitFor(async () => ((await notices()).length === 4 ? true : undefined), 'four notices');
    expect(await told()).toEqual(
      [
        `cp-gr ${gr.id} -> ${it_.id}@cp-it`,
        `cp-it ${it_.id} -> ${gr.id}@cp-gr`,
        `cp-mt ${mt.id} -> ${gr.id}@cp-gr`,
        `cp-mt ${mt.id} -> ${it_.id}@cp-it`,
        `cp-it ${it_.id} -> ${mt.id}@cp-mt`,
      ].sort(),
    );
    expect(JSON.stringify(await told())).not.toContain(`cp-gr ${gr.id} -> ${mt.id}`);
    const withheld = await h.events(AuditOperation.WITHHELD, mt.id);
    expect(withheld.map((e) => [e.counterpartNode, e.rule])).toEqual([['cp-gr', LINK_NEEDS_CONSENT]]);
  });

  it('tells no link twice, after a redelivery or a restart', async () => {
    // Past the submit stream's deduplication window, only JOT MARE's record of what it told keeps a late
    // redelivery from telling again.
    await h.outlastDeduplication();
    // The inbox is taken in order: once a later item is received, the redelivery before it was handled.
    await h.deliver(mt);
    await h.deliverAndWait(unlinked('cp-es'));
    await h.restart();
    await h.deliver(it_);
    await h.deliverAndWait(unlinked('cp-pt'));
    expect(await notices()).toHaveLength(4);
  });

  it('takes a recalled report out of the index: the erasure states it, and it links to nothing after', async () => {
    expect(await h.recall(it_, 'Wrong account.')).toEqual(['copy', `${SELECTOR_INDEX_ENTRY}:iban`]);
    const de = lead('cp-de');
    await h.deliverAndWait(de);
    await waitFor(
      async () => ((await notices()).length === 7 ? true : undefined),
      'the notices of the new lead',
    );
    const now = await told();
    expect(now).toContain(`cp-de ${de.id} -> ${gr.id}@cp-gr`);
    expect(now).toContain(`cp-gr ${gr.id} -> ${de.id}@cp-de`);
    expect(now.filter((l) => l.startsWith('cp-de')).join()).not.toContain(it_.id);
    // cp-mt's restricted lead: not told to cp-de; cp-mt may learn of cp-de's unrestricted one.
    expect(now.filter((l) => l.startsWith('cp-de')).join()).not.toContain(mt.id);
    expect(now).toContain(`cp-mt ${mt.id} -> ${de.id}@cp-de`);
  });

  it('tells no party a link whose notice the sharing rules would keep from it, and audits that', async () => {
    const PHONE = '+227 90 12 34 56';
    const routeWithPhone = (sender: string, releasedTo: string[]) => {
      const json = validRouteReportEnvelope(
        marking(sender, {
          releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES', thirdCountries: releasedTo },
        }),
      );
      json.routeReport!.narrative = `Places are booked on ${PHONE}.`;
      return envelopeFromJson(asJson(json));
    };
    // Niger's partner reported the number; cp-gr's report of it is released to Niger, without the flag.
    const partner = routeWithPhone('afic-partner-ne', ['NE']);
    const gr2 = routeWithPhone('cp-gr', ['NE']);
    const before = (await notices()).length;
    await h.deliverAndWait(partner);
    await h.deliverAndWait(gr2);
    await waitFor(
      async () => ((await notices()).length === before + 1 ? true : undefined),
      'the notice to cp-gr',
    );
    expect((await notices()).slice(before).map((n) => n.recipients[0])).toEqual(['cp-gr']);
    // The notice would carry a phone number to a third country whose agreement gives no legal basis for it.
    const withheld = await h.events(AuditOperation.WITHHELD, gr2.id);
    expect(withheld.map((e) => [e.counterpartNode, e.rule])).toEqual([
      ['afic-partner-ne', 'POLICY.THIRD_COUNTRY_PERSONAL_DATA'],
    ]);
    const [combined] = await h.events(AuditOperation.COMBINED, gr2.id);
    expect(JSON.parse(combined.detailJson)).toMatchObject({ linked: partner.id, told: ['cp-gr'] });
  });

  it('leaves out of the index a lead given for financial investigation alone: no link, and the refusal audited', async () => {
    const before = (await notices()).length;
    const fiuOnly = lead('cp-fr', { purposes: ['PURPOSE_FINANCIAL_INVESTIGATION'] });
    await h.deliverAndWait(fiuOnly);
    const [withheld] = await h.eventsOnce(AuditOperation.WITHHELD, fiuOnly.id);
    expect(withheld.rule).toBe('NODE.PURPOSE_NOT_COVERED');
    expect(JSON.parse(withheld.detailJson)).toMatchObject({
      use: SELECTOR_INDEX_ENTRY,
      serves: ['criminal-investigation'],
      purposes: ['financial-investigation'],
    });
    expect(await h.events(AuditOperation.COMBINED, fiuOnly.id)).toEqual([]);
    // Another lead on the IBAN links to the holders before it, never to the lead kept out.
    const es = lead('cp-es');
    await h.deliverAndWait(es);
    await waitFor(
      async () => ((await notices()).length > before ? true : undefined),
      'the notices of the next lead',
    );
    expect((await told()).join()).not.toContain(fiuOnly.id);
    // Nothing of it was derived: its erasure is the copy alone.
    expect(await h.recall(fiuOnly, 'Withdrawn.')).toEqual(['copy']);
  });
});
