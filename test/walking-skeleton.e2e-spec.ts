import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { uuidv7 } from '#contracts';
import { Streams, type Bus } from '#messaging';
import {
  createTestSchema,
  freePort,
  startSecureBroker,
  waitFor,
  type ServiceProcess,
  type SecureBroker,
  type TestSchema,
  asJson,
  validRouteReportEnvelope,
  validSuspectVesselReportEnvelope,
} from '#testing';
import {
  exchangeEnv,
  requireBuild,
  startLocal,
  startTestNationalNetwork,
  type TestNationalNetwork,
} from './support.js';

/**
 * The walking skeleton end to end: the services run as processes from the build, on a private nats-server
 * and an own PostgreSQL schema; the test drives them over HTTP only and reads the audit trail.
 */
const TOKEN = 'emlo-ne-e2e-token-0123456789abcdefghij';

interface AuditRow {
  operation: string;
  actor_node: string;
  counterpart_node: string | null;
  message_type: string | null;
  message_sha256: string | null;
  rule: string | null;
}

describe('a report travels from a liaison officer to a contact point and JOT MARE, audited', () => {
  let nats: SecureBroker;
  let db: TestSchema;
  let bus: Bus;
  let gatewayUrl: string;
  let national: TestNationalNetwork;
  const services: ServiceProcess[] = [];
  const service = (name: string) => services.find((s) => s.name === name)!;

  beforeAll(async () => {
    requireBuild();
    nats = await startSecureBroker();
    db = await createTestSchema('e2e');
    bus = await nats.connectAs('msx-admin');
    national = await startTestNationalNetwork(['cp-it']);
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    const env = exchangeEnv({
      databaseUrl: db.url,
      schema: db.schema,
      gatewayPort: port,
      tokens: { 'emlo-ne': TOKEN },
    });
    services.push(
      ...startLocal(
        nats,
        env,
        ['router', 'audit', 'gateway', 'cp-it', 'jot-mare', 'emlo-ne'],
        national.envOf,
      ),
    );
    await Promise.all(services.map((s) => s.waitForLine(/ ready/, 60_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill()));
    await bus?.close();
    await nats?.dispose();
    await national?.dispose();
    await db?.drop();
  }, 60_000);

  const post = (body: unknown) =>
    fetch(`${gatewayUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    });

  const trail = (messageId: string) =>
    db.query<AuditRow>(
      `SELECT operation, actor_node, counterpart_node, message_type, message_sha256, rule
         FROM "${db.schema}".audit_entry WHERE message_id = $1 ORDER BY seq`,
      [messageId],
    );

  /** Waits until the rows matching `pick` number at least `count`. */
  const rowsOf = (messageId: string, pick: (r: AuditRow) => boolean, count: number) =>
    waitFor(
      async () => {
        const rows = (await trail(messageId)).filter(pick);
        return rows.length >= count ? rows : undefined;
      },
      `${count} audit row(s) of ${messageId}`,
      30_000,
    );

  it('delivers a route report to cp-it and jot-mare, who receive and ack it, and audits every step', async () => {
    const res = await post(asJson(validRouteReportEnvelope({ id: uuidv7() })));
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };

    const received = await rowsOf(id, (r) => r.operation === 'received', 2);
    expect(received.map((r) => r.actor_node).sort()).toEqual(['cp-it', 'jot-mare']);
    const rows = await trail(id);
    expect(rows.filter((r) => r.operation === 'submitted')).toEqual([
      expect.objectContaining({ actor_node: 'emlo-ne', message_type: 'routeReport' }),
    ]);
    const delivered = rows.filter((r) => r.operation === 'delivered').map((r) => r.counterpart_node);
    expect(delivered).toEqual(expect.arrayContaining(['cp-it', 'jot-mare']));
    // Everyone hashed the same bytes: the router forwards what it received, unchanged.
    expect(new Set(rows.map((r) => r.message_sha256)).size).toBe(1);
    await service('cp-it').waitForLine(new RegExp(`received routeReport ${id} from emlo-ne`));
    await service('jot-mare').waitForLine(new RegExp(`received routeReport ${id} from emlo-ne`));
    // cp-it passes it to the authorities that take route reports, as far as H1 allows: not to prosecution.
    const dispatched = await rowsOf(id, (r) => r.operation === 'dispatched' && r.actor_node === 'cp-it', 2);
    expect(dispatched.map((r) => r.counterpart_node).sort()).toEqual([
      'cp-it/border-guard',
      'cp-it/coast-guard',
    ]);
    expect((await trail(id)).filter((r) => r.operation === 'withheld' && r.actor_node === 'cp-it')).toEqual([
      expect.objectContaining({ counterpart_node: 'cp-it/prosecution', rule: 'DISPATCH.H1_JUDICIAL' }),
    ]);
    const intake = (await national.intake()).filter((m) => m.body.item?.id === id);
    expect(intake.map((m) => m.subject).sort()).toEqual([
      'national.cp-it.border-guard',
      'national.cp-it.coast-guard',
    ]);
  });

  it('returns a receipt to the liaison officer naming who received the report', async () => {
    const res = await post(asJson(validRouteReportEnvelope({ id: uuidv7() })));
    const { id } = (await res.json()) as { id: string };
    const line = await service('emlo-ne').waitForLine(new RegExp(`report ${id}: delivered to `), 30_000);
    expect(line).toMatch(/cp-it/);
    expect(line).toMatch(/jot-mare/);
  });

  it('keeps a TLP RED report from jot-mare when only cp-it is named', async () => {
    const res = await post(
      asJson(validRouteReportEnvelope({ id: uuidv7(), tlp: 'TLP_RED', recipients: ['cp-it'] })),
    );
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await rowsOf(id, (r) => r.operation === 'received' && r.actor_node === 'cp-it', 1);
    const rows = await trail(id);
    expect(rows.find((r) => r.counterpart_node === 'jot-mare')).toMatchObject({
      operation: 'withheld',
      rule: 'POLICY.TLP_RED_NAMED_ONLY',
    });
    expect(rows.filter((r) => r.operation === 'delivered').map((r) => r.counterpart_node)).toEqual(['cp-it']);
    expect(rows.some((r) => r.actor_node === 'jot-mare')).toBe(false);
  });

  it("passes a report given for risk analysis to none of cp-it's authorities, and refuses judicial use under H1 at the edge", async () => {
    const res = await post(
      asJson(validRouteReportEnvelope({ id: uuidv7(), purposes: ['PURPOSE_RISK_ANALYSIS'] })),
    );
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    // Delivered as ever (the purposes bind its use, not who may hold it); no authority's task is risk analysis.
    const withheld = await rowsOf(
      id,
      (r) => r.operation === 'withheld' && r.actor_node === 'cp-it' && r.rule!.startsWith('DISPATCH.'),
      3,
    );
    expect(withheld.map((r) => [r.counterpart_node, r.rule]).sort()).toEqual([
      ['cp-it/border-guard', 'DISPATCH.PURPOSE_NOT_COVERED'],
      ['cp-it/coast-guard', 'DISPATCH.PURPOSE_NOT_COVERED'],
      ['cp-it/prosecution', 'DISPATCH.H1_JUDICIAL'],
    ]);
    expect((await trail(id)).filter((r) => r.operation === 'dispatched')).toEqual([]);

    const judicial = await post(
      asJson(validRouteReportEnvelope({ id: uuidv7(), purposes: ['PURPOSE_JUDICIAL_PROCEEDINGS'] })),
    );
    expect(judicial.status).toBe(400);
    expect(((await judicial.json()) as { violations: unknown[] }).violations).toEqual([
      expect.objectContaining({ field: 'purposes', rule: 'judicialUseNotUnderH1' }),
    ]);
  });

  it('refuses a vessel report with a bad IMO check digit: 400, nothing published, the rejection audited', async () => {
    const before = (await bus.jsm.streams.info(Streams.submit)).state.messages;
    const envelope = asJson(validSuspectVesselReportEnvelope({ id: uuidv7() }));
    (envelope.suspectVesselReport as { imoNumber: string }).imoNumber = '9074728';
    const res = await post(envelope);
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      violations: { field: string; rule: string }[];
      correlationId: string;
    };
    expect(body.violations).toEqual([
      expect.objectContaining({ field: 'suspectVesselReport.imoNumber', rule: 'imoCheckDigit' }),
    ]);
    const rejected = await waitFor(
      async () =>
        (
          await db.query<AuditRow>(
            `SELECT operation, actor_node, rule FROM "${db.schema}".audit_entry WHERE correlation_id = $1`,
            [body.correlationId],
          )
        )[0],
      'the rejection in the audit trail',
    );
    expect(rejected).toMatchObject({
      operation: 'rejected',
      actor_node: 'emlo-ne',
      rule: 'CONTRACT.INVALID',
    });
    expect((await bus.jsm.streams.info(Streams.submit)).state.messages).toBe(before);
  });

  it("shows a report to cp-it's officer live, signed in with a credential of their own, and names them in the trail", async () => {
    const issued = spawnSync(
      process.execPath,
      [
        'dist/scripts/admin.js',
        'issue',
        '--person',
        'cp-it.officer-5',
        '--role',
        'officer',
        '--as',
        'msx.admin-1',
      ],
      { env: { ...process.env, MSX_DATABASE_URL: db.url, MSX_DATABASE_SCHEMA: db.schema }, encoding: 'utf8' },
    );
    expect(issued.status).toBe(0);
    const officer = issued.stdout.trim();
    const live = await fetch(`${gatewayUrl}/v1/inbox/live?after=0`, {
      headers: { authorization: `Bearer ${officer}` },
    });
    expect(live.status).toBe(200);
    const res = await post(asJson(validRouteReportEnvelope({ id: uuidv7(), recipients: ['cp-it'] })));
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };

    const reader = live.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const deadline = Date.now() + 30_000;
    while (!text.includes(`"id":"${id}"`) && Date.now() < deadline) {
      const next = await reader.read();
      if (next.done) break;
      text += decoder.decode(next.value, { stream: true });
    }
    await reader.cancel();
    expect(text).toContain(`"id":"${id}"`);
    const consulted = await rowsOf(id, (r) => r.operation === 'consulted', 1);
    expect(consulted[0]).toMatchObject({ actor_node: 'cp-it', rule: 'GATEWAY.INBOX_READ' });
    const [person] = await db.query<{ actor_person: string }>(
      `SELECT actor_person FROM "${db.schema}".audit_entry WHERE message_id = $1 AND operation = 'consulted'`,
      [id],
    );
    expect(person.actor_person).toBe('cp-it.officer-5');
  });

  it('stops every service cleanly on SIGTERM', async () => {
    const endings = await Promise.all(
      services.map(async (s) => {
        const started = Date.now();
        return { name: s.name, ending: await s.stop(), ms: Date.now() - started };
      }),
    );
    // A service that had to be killed says first what its shutdown still waited for (its "still stopping"
    // lines, from the signal on), so that even a shortened report of the failure names the part that hung.
    const killed = endings.filter((e) => !/^(0|SIGTERM)$/.test(e.ending));
    const shutdownOf = (name: string) => {
      const lines = service(name).lines;
      const from = lines.findLastIndex((l) => /stopping on SIG/.test(l));
      return (from >= 0 ? lines.slice(from) : lines.slice(-12)).slice(0, 20).join('\n');
    };
    expect(
      killed.map((e) => `${e.name} ended by ${e.ending} after ${e.ms} ms:\n${shutdownOf(e.name)}`).join('\n'),
    ).toBe('');
    for (const s of services) expect(s.lines.filter((l) => /\bERROR\b|fatal:/.test(l))).toEqual([]);
    // Each said what it stopped on: the watch that would name a part holding its shutdown up was listening.
    const unwatched = services.filter(
      (s) => !s.lines.some((l) => /\[Shutdown\] stopping on SIGTERM/.test(l)),
    );
    expect(unwatched.map((s) => s.name)).toEqual([]);
  });
});
