import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  freePort,
  startEmbeddedPostgres,
  startSecureBroker,
  waitFor,
  type ServiceProcess,
  type SecureBroker,
  type TestPostgres,
  asJson,
  validRouteReportEnvelope,
} from '#testing';
import { exchangeEnv, requireBuild, startOn } from './support.js';

const TOKEN = 'emlo-ne-e2e-token-0123456789abcdefghij';
const SCHEMA = 'msx_fail_closed';
/** How long the gateway may keep accepting after the database went away, and take to accept again, in ms. */
const BOUND_MS = 10_000;

/**
 * Fail closed (DESIGN §5): while the audit database is down, the gateway refuses submissions with 503 and
 * Retry-After instead of accepting them unaudited; once it is back, it accepts again, and every submission
 * it accepted at any time is in the audit trail. The test owns its PostgreSQL, so it can stop it.
 */
describe('submissions are refused while the audit trail cannot record them', () => {
  let pg: TestPostgres;
  let nats: SecureBroker;
  let gatewayUrl: string;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    requireBuild();
    pg = await startEmbeddedPostgres();
    nats = await startSecureBroker({ nodes: ['emlo-ne'] });
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    const env = {
      ...exchangeEnv({
        databaseUrl: pg.url,
        schema: SCHEMA,
        gatewayPort: port,
        tokens: { 'emlo-ne': TOKEN },
      }),
      MSX_AUDIT_HEARTBEAT_TIMEOUT_MS: '2000',
    };
    services.push(startOn(nats, env, 'audit'), startOn(nats, env, 'router'), startOn(nats, env, 'gateway'));
    await Promise.all(services.map((s) => s.waitForLine(/ ready/, 60_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill()));
    await nats?.dispose();
    await pg?.dispose();
  }, 60_000);

  /** Every submission the gateway answered 202, by id: each must end up in the audit trail. */
  const accepted = new Set<string>();
  const submit = async () => {
    const res = await fetch(`${gatewayUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(asJson(validRouteReportEnvelope({ id: undefined }))),
    });
    const body = (await res.json()) as { id?: string; code?: string };
    if (res.status === 202) accepted.add(body.id!);
    return { status: res.status, retryAfter: res.headers.get('retry-after'), code: body.code };
  };
  /** Submits every 100 ms until `done` says so, or fails after `timeoutMs`; returns the time it took. */
  const submitUntil = async (done: (r: Awaited<ReturnType<typeof submit>>) => boolean, what: string) => {
    const started = Date.now();
    for (;;) {
      const r = await submit();
      if (done(r)) return { ms: Date.now() - started, last: r };
      if (Date.now() - started > BOUND_MS)
        throw new Error(`${what} not within ${BOUND_MS} ms; last answer ${r.status}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  };

  it('refuses with 503 and Retry-After while PostgreSQL is down, accepts again after, and loses nothing accepted', async () => {
    expect((await submit()).status).toBe(202);

    await pg.stop();
    const refusal = await submitUntil((r) => r.status === 503, 'refusal after PostgreSQL stopped');
    expect(refusal.last).toEqual({ status: 503, retryAfter: '5', code: 'AUDIT.UNAVAILABLE' });
    // It stays closed while the database is down: nothing is accepted unaudited.
    const whileDown = [];
    for (let i = 0; i < 10; i++) {
      whileDown.push((await submit()).status);
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(whileDown).toEqual(Array(10).fill(503));

    await pg.start();
    const recovery = await submitUntil((r) => r.status === 202, 'acceptance after PostgreSQL started');
    process.stdout.write(
      `fail closed: refused ${refusal.ms} ms after PostgreSQL stopped; accepted again ${recovery.ms} ms after it started; ${accepted.size} accepted in all\n`,
    );

    const ids = [...accepted];
    const missing = await waitFor(
      async () => {
        const rows = await pg.query<{ message_id: string }>(
          `SELECT message_id FROM "${SCHEMA}".audit_entry WHERE operation = 'submitted' AND message_id = ANY($1)`,
          [ids],
        );
        const found = new Set(rows.map((r) => r.message_id));
        const left = ids.filter((id) => !found.has(id));
        return left.length === 0 ? left : undefined;
      },
      'every accepted submission in the audit trail',
      90_000,
    );
    expect(missing).toEqual([]);
    expect(ids.length).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
