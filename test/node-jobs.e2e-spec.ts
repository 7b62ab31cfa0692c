import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { uuidv7, type EnvelopeJson } from '#contracts';
import type { ServiceSpec } from '#process-kit';
import {
  asJson,
  createTestSchema,
  freePort,
  startSecureBroker,
  validDebriefingReportEnvelope,
  validFinancialLeadEnvelope,
  validRouteReportEnvelope,
  validSuspectVesselReportEnvelope,
  waitFor,
  type SecureBroker,
  type ServiceProcess,
  type TestSchema,
} from '#testing';
import {
  auditTrail,
  exchangeEnv,
  requireBuild,
  startLocal,
  startTestNationalNetwork,
  submit,
  type TestNationalNetwork,
} from './support.js';

/**
 * The nodes' own jobs from outside, through the services as processes on the isolated broker: JOT MARE's
 * watch-list turns three parties' reports of one decommissioned freighter into a vessel alert for the
 * coastal contact points and Frontex only, and the contact point passes the alert on to its coast guard;
 * JOT MARE links reports of different parties that carry one IBAN and tells each originator only of the
 * reports it may see; AFIC passes a report kept from partner countries for its personal data on without it.
 */
/**
 * How often AFIC issues its joint analysis here: every 20 s instead of every four weeks, so that three reports
 * sent early in a period reach AFIC within it, even on a loaded machine.
 */
const ANALYSIS_EVERY_MS = 20_000;

const TOKENS = {
  'cp-gr': 'cp-gr-node-jobs-e2e-token-0123456789abcd',
  'cp-it': 'cp-it-node-jobs-e2e-token-0123456789abcd',
  'cp-mt': 'cp-mt-node-jobs-e2e-token-0123456789abcd',
};

describe('the node apps do their jobs', () => {
  let nats: SecureBroker;
  let db: TestSchema;
  let national: TestNationalNetwork;
  let gatewayUrl: string;
  let audit: ReturnType<typeof auditTrail>;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    requireBuild();
    [nats, db, national] = await Promise.all([
      startSecureBroker(),
      createTestSchema('nodejobs'),
      startTestNationalNetwork(['cp-it']),
    ]);
    audit = auditTrail(db);
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    const env = exchangeEnv({ databaseUrl: db.url, schema: db.schema, gatewayPort: port, tokens: TOKENS });
    // JOT MARE issues its maritime picture every 3 s here instead of weekly, AFIC its joint analysis every 20 s.
    const envOf = (spec: ServiceSpec) => ({
      ...national.envOf(spec),
      ...(spec.name === 'jot-mare' ? { MSX_MARITIME_PICTURE_EVERY_MS: '3000' } : {}),
      ...(spec.name === 'afic' ? { MSX_JOINT_ANALYSIS_EVERY_MS: String(ANALYSIS_EVERY_MS) } : {}),
    });
    services.push(
      ...startLocal(nats, env, ['router', 'audit', 'gateway', 'cp-it', 'jot-mare', 'afic'], envOf),
    );
    await Promise.all(services.map((s) => s.waitForLine(/ ready/, 60_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill()));
    await nats?.dispose();
    await national?.dispose();
    await db?.drop();
  }, 60_000);

  async function send(node: keyof typeof TOKENS, body: EnvelopeJson): Promise<string> {
    const res = await submit(gatewayUrl, TOKENS[node], asJson(body));
    expect(res).toMatchObject({ status: 202 });
    return res.json.id as string;
  }

  it('alerts the coastal contact points and Frontex, and nobody else, on the third report of a decommissioned freighter', async () => {
    const ids: string[] = [];
    for (const node of ['cp-gr', 'cp-it', 'cp-mt'] as const) {
      ids.push(
        await send(
          node,
          validSuspectVesselReportEnvelope({
            id: uuidv7(),
            createdAt: new Date().toISOString(),
            sender: node,
            author: `${node}.analyst-1`,
            recipients: ['jot-mare'],
            handlingCode: 'HANDLING_CODE_H0',
            tlp: 'TLP_GREEN',
          }),
        ),
      );
      await audit.rowsOf(ids.at(-1)!, (r) => r.operation === 'received' && r.actor_node === 'jot-mare', 1);
    }
    const [alert] = await waitFor(
      () =>
        db
          .query<{ message_id: string; detail: Record<string, unknown> }>(
            `SELECT message_id, detail FROM "${db.schema}".audit_entry
             WHERE operation = 'submitted' AND actor_node = 'jot-mare' AND message_type = 'vesselAlert'`,
          )
          .then((rows) => (rows.length ? rows : undefined)),
      "JOT MARE's vessel alert",
      30_000,
    );
    const decided = await audit.rowsOf(
      alert.message_id,
      (r) => ['delivered', 'withheld'].includes(r.operation),
      3,
    );
    expect(decided.map((r) => `${r.operation}:${r.counterpart_node}`).sort()).toEqual([
      'delivered:cp-it',
      'delivered:cp-mt',
      'delivered:frontex-ra',
    ]);
    // JOT MARE audited the alert as a combination of the three parties' reports, with the criteria that fired.
    const combined = (await audit.trail(ids[2])).find(
      (r) => r.operation === 'combined' && r.actor_node === 'jot-mare' && r.detail.alert === alert.message_id,
    );
    expect(combined?.detail).toMatchObject({
      vessel: 'imo:9074729',
      criteria: ['decommissioned', 'flag', 'several-parties'],
      recipients: ['cp-it', 'cp-mt', 'frontex-ra'],
    });
    // No one else received it; the contact point that runs here passed it to its coast guard.
    await audit.rowsOf(alert.message_id, (r) => r.operation === 'received', 1);
    expect(
      (await audit.trail(alert.message_id))
        .filter((r) => r.operation === 'received')
        .map((r) => r.actor_node),
    ).toEqual(['cp-it']);
    await audit.rowsOf(alert.message_id, (r) => r.operation === 'dispatched', 1);
    const intake = await national.intake();
    expect(intake.filter((m) => m.body.item?.id === alert.message_id).map((m) => m.subject)).toEqual([
      'national.cp-it.coast-guard',
    ]);
  });

  it('tells the originators of reports that carry one IBAN of each other, and keeps a restricted report from a party that does not hold it', async () => {
    const IBAN = 'IT60X0542811101000000123456';
    const marking = (node: string, extra: Partial<EnvelopeJson> = {}): Partial<EnvelopeJson> => ({
      id: uuidv7(),
      createdAt: new Date().toISOString(),
      sender: node,
      author: `${node}.analyst-1`,
      recipients: ['jot-mare'],
      handlingCode: 'HANDLING_CODE_H1',
      tlp: 'TLP_GREEN',
      ...extra,
    });
    const lead = (node: keyof typeof TOKENS, extra: Partial<EnvelopeJson> = {}) => {
      const json = validFinancialLeadEnvelope(marking(node, extra));
      json.financialLead!.accounts = json.financialLead!.accounts!.slice(0, 1);
      return json;
    };
    const debriefing = validDebriefingReportEnvelope(marking('cp-it'));
    debriefing.debriefingReport!.selectors = { ibans: [IBAN] };
    const received = (id: string) =>
      audit.rowsOf(id, (r) => r.operation === 'received' && r.actor_node === 'jot-mare', 1);
    const gr = await send('cp-gr', lead('cp-gr'));
    await received(gr);
    const it_ = await send('cp-it', debriefing);
    await received(it_);
    // cp-mt's lead is H2 and AMBER, naming cp-it: cp-it may learn of it, cp-gr may not.
    const mt = await send(
      'cp-mt',
      lead('cp-mt', {
        handlingCode: 'HANDLING_CODE_H2',
        tlp: 'TLP_AMBER',
        recipients: ['jot-mare', 'cp-it'],
      }),
    );
    const rows = await audit.rowsOf(
      mt,
      (r) => r.actor_node === 'jot-mare' && ['combined', 'withheld'].includes(r.operation),
      3,
    );
    const links = rows
      .filter((r) => r.operation === 'combined')
      .map((r) => r.detail)
      .sort((a, b) => String(a.holder).localeCompare(String(b.holder)));
    expect(links).toEqual([
      { linked: gr, holder: 'cp-gr', selectorKinds: ['iban'], told: ['cp-mt'] },
      { linked: it_, holder: 'cp-it', selectorKinds: ['iban'], told: ['cp-it', 'cp-mt'] },
    ]);
    expect(rows.filter((r) => r.operation === 'withheld').map((r) => [r.counterpart_node, r.rule])).toEqual([
      ['cp-gr', 'CORRELATION.ORIGINATOR_CONTROL'],
    ]);
    // The link between cp-gr's and cp-it's reports was told to both.
    const first = (await audit.trail(it_)).find(
      (r) => r.operation === 'combined' && r.actor_node === 'jot-mare',
    );
    expect(first?.detail).toMatchObject({ linked: gr, told: ['cp-gr', 'cp-it'] });
    // The notices went through the router like any message: no IBAN in any audit row.
    const notices = await db.query<{ detail: unknown }>(
      `SELECT detail FROM "${db.schema}".audit_entry WHERE message_type = 'hitNotice'`,
    );
    expect(notices.length).toBeGreaterThan(0);
    expect(JSON.stringify(notices)).not.toContain(IBAN);
  });

  it('passes a route report kept from Niger for its personal data on to Niger without it, auditing each field taken out', async () => {
    const json = validRouteReportEnvelope({
      id: uuidv7(),
      createdAt: new Date().toISOString(),
      sender: 'cp-it',
      author: 'cp-it.analyst-1',
      recipients: ['jot-mare'],
      tlp: 'TLP_GREEN',
      containsPersonalData: true,
    });
    json.routeReport!.narrative = 'The boat driver "Abu Salah" takes bookings on +218 91 234 5678.';
    const id = await send('cp-it', json);
    // The router keeps the report itself from Niger: its agreement gives no legal basis for personal data.
    const [withheld] = await audit.rowsOf(
      id,
      (r) => r.operation === 'withheld' && r.counterpart_node === 'afic-partner-ne',
      1,
    );
    expect(withheld.rule).toBe('POLICY.THIRD_COUNTRY_PERSONAL_DATA');
    const [altered] = await audit.rowsOf(id, (r) => r.operation === 'altered' && r.actor_node === 'afic', 1);
    expect(altered).toMatchObject({
      counterpart_node: 'afic-partner-ne',
      rule: 'POLICY.THIRD_COUNTRY_PERSONAL_DATA',
    });
    expect(altered.detail).toMatchObject({ field: 'routeReport.narrative', agreement: 'frontex-ne-2023' });
    // AFIC's copy reaches Niger, and only Niger.
    const copy = String(altered.detail.release);
    const decided = await audit.rowsOf(copy, (r) => ['delivered', 'withheld'].includes(r.operation), 1);
    expect(decided.map((r) => `${r.operation}:${r.counterpart_node}`)).toEqual(['delivered:afic-partner-ne']);
    expect((await audit.trail(copy)).find((r) => r.operation === 'submitted')?.actor_node).toBe('afic');
  });

  it(
    "delivers AFIC's joint analysis of three parties' route reports to the partner they were released to, naming no party",
    async () => {
      // Three reports sent early in one period: AFIC issues its analysis once that period ends.
      while (Date.now() % ANALYSIS_EVERY_MS > 2_000) await new Promise((r) => setTimeout(r, 100));
      for (const node of ['cp-gr', 'cp-it', 'cp-mt'] as const)
        await send(
          node,
          validRouteReportEnvelope({
            id: uuidv7(),
            createdAt: new Date().toISOString(),
            sender: node,
            author: `${node}.analyst-1`,
            recipients: ['afic'],
            tlp: 'TLP_GREEN',
          }),
        );
      const [analysis] = await waitFor(
        () =>
          db
            .query<{ message_id: string }>(
              `SELECT message_id FROM "${db.schema}".audit_entry
             WHERE operation = 'submitted' AND actor_node = 'afic' AND message_type = 'analysisProduct'`,
            )
            .then((rows) => (rows.length ? rows : undefined)),
        "AFIC's joint analysis",
        2 * ANALYSIS_EVERY_MS + 10_000,
      ).catch((err: Error) => {
        const afic = services.find((s) => s.name === 'afic');
        throw new Error(`${err.message}; AFIC printed:\n${afic?.tail(40) ?? '(not running)'}`);
      });
      // The reports were released to Niger only: Niger's partner gets the figures, nobody else.
      const decided = await audit.rowsOf(
        analysis.message_id,
        (r) => ['delivered', 'withheld'].includes(r.operation),
        1,
      );
      expect(decided.map((r) => `${r.operation}:${r.counterpart_node}`)).toEqual([
        'delivered:afic-partner-ne',
      ]);
      const rows = JSON.stringify(await audit.trail(analysis.message_id));
      for (const party of ['cp-gr', 'cp-it', 'cp-mt']) expect(rows).not.toContain(party);
    },
    3 * ANALYSIS_EVERY_MS + 30_000,
  );

  it("delivers JOT MARE's maritime picture to Eurostat: aggregated, naming no vessel", async () => {
    const [picture] = await waitFor(
      () =>
        db
          .query<{ message_id: string }>(
            `SELECT message_id FROM "${db.schema}".audit_entry
             WHERE operation = 'delivered' AND counterpart_node = 'eurostat' AND message_type = 'analysisProduct'`,
          )
          .then((rows) => (rows.length ? rows : undefined)),
      'a maritime picture delivered to Eurostat',
      30_000,
    );
    const rows = await audit.trail(picture.message_id);
    expect(rows.find((r) => r.operation === 'submitted')?.actor_node).toBe('jot-mare');
    expect(rows.filter((r) => r.operation === 'withheld')).toEqual([]);
    expect(JSON.stringify(rows)).not.toContain('9074729');
  });
});
