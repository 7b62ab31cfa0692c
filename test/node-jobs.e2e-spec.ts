import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelopeToJson, uuidv7, type EnvelopeJson } from '#contracts';
import { blindQueryFor, ensureMatchingKeyFile, queryTokensOf, type MatchingKey } from '#node-app';
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
 * reports it may see; AFIC passes a report kept from partner countries for its personal data on without it;
 * a blind query finds the holders of an IBAN without the IBAN crossing the bus.
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
  const keyDir = mkdtempSync(join(tmpdir(), 'msx-match-key-'));
  /** The parties' matching key: every node here holds it but the matching service. */
  let matchKey: MatchingKey;

  beforeAll(async () => {
    matchKey = ensureMatchingKeyFile(join(keyDir, 'match.key'));
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
      ...(spec.env.MSX_NODE_ID && spec.name !== 'hit-no-hit'
        ? { MSX_MATCH_KEY_FILE: join(keyDir, 'match.key') }
        : {}),
    });
    services.push(
      ...startLocal(
        nats,
        env,
        ['router', 'audit', 'gateway', 'cp-it', 'jot-mare', 'afic', 'hit-no-hit'],
        envOf,
      ),
    );
    await Promise.all(services.map((s) => s.waitForLine(/ ready/, 60_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill()));
    await nats?.dispose();
    await national?.dispose();
    await db?.drop();
    rmSync(keyDir, { recursive: true, force: true });
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
      (r) => r.operation === 'combined' && r.actor_node === 'jot-mare' && r.detail.linked,
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
    // The router withheld it from none of its recipients.
    expect(rows.filter((r) => r.operation === 'withheld' && r.actor_node === 'jot-mare')).toEqual([]);
    // A statistic serves risk analysis alone: no contact point passes it to its national authorities.
    expect(rows.filter((r) => r.operation === 'dispatched')).toEqual([]);
    expect(JSON.stringify(rows)).not.toContain('9074729');
  });

  it('finds the holders of an IBAN for a blind query, tells them who asked, and never puts the IBAN on the bus', async () => {
    const IBAN = 'DE89370400440532013000';
    const json = validFinancialLeadEnvelope({
      id: uuidv7(),
      createdAt: new Date().toISOString(),
      sender: 'cp-gr',
      author: 'cp-gr.fiu-1',
      recipients: ['cp-it'],
      handlingCode: 'HANDLING_CODE_H1',
      tlp: 'TLP_GREEN',
    });
    json.financialLead!.accounts = [{ iban: IBAN, role: 'collects the crossing fees' }];
    const lead = await send('cp-gr', json);
    // cp-it (named) and JOT MARE (subscribed to everything) hold it, and tell the matching service its token.
    for (const holder of ['cp-it', 'jot-mare'])
      await audit.rowsOf(
        lead,
        (r) => r.operation === 'combined' && r.actor_node === holder && r.detail.keyId !== undefined,
        1,
      );
    const updates = await waitFor(
      () =>
        db
          .query<{ message_id: string }>(
            `SELECT DISTINCT message_id FROM "${db.schema}".audit_entry
             WHERE operation = 'combined' AND actor_node = 'hit-no-hit' AND detail->>'keyId' = $1`,
            [matchKey.id],
          )
          .then((rows) => (rows.length >= 2 ? rows : undefined)),
      'the matching service indexing both holders',
      30_000,
    );
    expect(updates.length).toBeGreaterThanOrEqual(2);

    // cp-mt asks, through the gateway, with tokens it made with the key: the IBAN itself never leaves it.
    const query = blindQueryFor({
      id: uuidv7(),
      sender: 'cp-mt',
      author: 'cp-mt.fiu-2',
      matcher: 'hit-no-hit',
      keyId: matchKey.id,
      tokens: queryTokensOf(matchKey, [
        { kind: 'iban', value: 'DE89 3704 0044 0532 0130 00' },
        { kind: 'iban', value: 'GB82WEST12345698765432' },
      ]),
      purpose: 'Financial investigation into a smuggling network on the central Mediterranean route',
      nowMs: Date.now(),
    });
    const asked = await send('cp-mt', envelopeToJson(query) as unknown as EnvelopeJson);
    const [consulted] = await audit.rowsOf(
      asked,
      (r) => r.operation === 'consulted' && r.actor_node === 'hit-no-hit',
      1,
    );
    expect(consulted).toMatchObject({ counterpart_node: 'cp-mt' });
    expect(consulted.detail).toMatchObject({ tokens: 2, hits: 1, selectorKinds: ['iban'] });
    const hits = await audit.rowsOf(
      asked,
      (r) => r.operation === 'combined' && r.actor_node === 'hit-no-hit',
      2,
    );
    expect(hits.map((r) => r.counterpart_node).sort()).toEqual(['cp-it', 'jot-mare']);

    // The answer reaches cp-mt only: hit for the first IBAN with both holders, no hit for the second.
    const answerId = String(consulted.detail.answer);
    const delivered = await audit.rowsOf(answerId, (r) => ['delivered', 'withheld'].includes(r.operation), 1);
    expect(delivered.map((r) => `${r.operation}:${r.counterpart_node}`)).toEqual(['delivered:cp-mt']);
    const inbox: EnvelopeJson[] = [];
    for (let after = 0; ;) {
      const res = await fetch(`${gatewayUrl}/v1/inbox?after=${after}&limit=100`, {
        headers: { authorization: `Bearer ${TOKENS['cp-mt']}`, 'x-msx-officer': 'cp-mt.fiu-2' },
      });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: Array<{ envelope?: EnvelopeJson }>; nextAfter: number };
      inbox.push(...page.items.flatMap((i) => (i.envelope ? [i.envelope] : [])));
      if (page.nextAfter === after) break;
      after = page.nextAfter;
    }
    const answer = inbox.find((e) => e.id === answerId);
    expect(answer?.blindAnswer?.verdicts?.map((v) => [v.hit ?? false, v.holders ?? []])).toEqual([
      [true, ['cp-it', 'jot-mare']],
      [false, []],
    ]);

    // Each holder was told who asked and why; cp-it's trail names the lead the question was about.
    const noticeIds = hits.map((r) => String(r.detail.notice));
    for (const id of noticeIds) {
      const rows = await audit.rowsOf(id, (r) => r.operation === 'delivered', 1);
      expect(rows).toHaveLength(1);
    }
    const cpItNotice = hits.find((r) => r.counterpart_node === 'cp-it')!.detail.notice as string;
    const [named] = await audit.rowsOf(
      cpItNotice,
      (r) => r.operation === 'combined' && r.actor_node === 'cp-it',
      1,
    );
    expect(named.detail).toMatchObject({ askedBy: 'cp-mt', items: [lead] });

    // Not one message to or from the matching service, nor any audit row of them, carries the IBAN.
    const blind = await db.query<{ t: string }>(
      `SELECT string_agg(row_to_json(a)::text, ' ') AS t FROM "${db.schema}".audit_entry a
       WHERE message_type LIKE 'blind%' OR actor_node = 'hit-no-hit' OR counterpart_node = 'hit-no-hit'`,
    );
    expect(blind[0].t.length).toBeGreaterThan(0);
    expect(blind[0].t).not.toMatch(/370400440532013000|DE89/);
    expect(JSON.stringify(answer)).not.toMatch(/370400440532013000|DE89/);
  });
});
