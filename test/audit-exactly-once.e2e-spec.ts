import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyAuditChain } from '#audit-store';
import { AuditOperation, encodeAuditEvent, nameBasedId, newAuditEvent } from '#contracts';
import { auditStream, ensureStream, Subjects, type Bus } from '#messaging';
import {
  createTestSchema,
  startSecureBroker,
  startService,
  waitFor,
  type ServiceProcess,
  type SecureBroker,
  type TestSchema,
} from '#testing';
import { localNodes, requireBuild } from './support.js';

/** Audit events published while the audit service is killed and restarted. */
const EVENTS = 20_000;
/** SIGKILLs of the audit process while the events flow. */
const KILLS = 4;
/** Publishes in flight at once. */
const IN_FLIGHT = 200;
/** Nodes the events are spread over (those of a local exchange); each publishes on its own subject, about itself. */
const NODES = localNodes();

/**
 * Exactly once under SIGKILL (DESIGN §4, §8): the audit process is killed with SIGKILL several times while
 * 20,000 events flow into PostgreSQL and restarted each time; at the end every event is stored once.
 */
describe('the audit trail records every event exactly once although its service is killed repeatedly', () => {
  let nats: SecureBroker;
  let db: TestSchema;
  let bus: Bus;
  let audit: ServiceProcess | undefined;
  let env: Record<string, string>;
  let generation = 0;

  const startAudit = async () => {
    audit = startService('audit', env, { name: `audit-${++generation}` });
    await audit.waitForLine(/ ready/, 60_000);
  };
  const rows = async () =>
    (
      await db.query<{ total: string; distinct_ids: string }>(
        `SELECT count(*) AS total, count(DISTINCT event_id) AS distinct_ids FROM "${db.schema}".audit_entry`,
      )
    )[0];

  beforeAll(async () => {
    requireBuild();
    nats = await startSecureBroker({ nodes: NODES });
    db = await createTestSchema('exactly_once');
    bus = await nats.connectAs('msx-admin');
    await ensureStream(bus.jsm, auditStream());
    env = {
      ...nats.envOf('msx-audit'),
      MSX_DATABASE_URL: db.url,
      MSX_DATABASE_SCHEMA: db.schema,
    };
    await startAudit();
  }, 120_000);

  afterAll(async () => {
    await audit?.kill();
    await bus?.close();
    await nats?.dispose();
    await db?.drop();
  }, 60_000);

  it('stores 20,000 events once each: none lost, none duplicated', async () => {
    const eventId = (i: number) => nameBasedId('audit-exactly-once', String(i));
    const started = Date.now();
    let published = 0;
    const publishing = (async () => {
      let next = 0;
      const lane = async () => {
        for (let i = next++; i < EVENTS; i = next++) {
          const node = NODES[i % NODES.length];
          const event = newAuditEvent({
            eventId: eventId(i),
            operation: AuditOperation.RECEIVED,
            actorNode: node,
            actorPerson: `${node}.inbox`,
            counterpartNode: 'emlo-ne',
            messageId: nameBasedId('audit-exactly-once-message', String(i)),
            messageType: 'routeReport',
          });
          await bus.js.publish(Subjects.audit(node), encodeAuditEvent(event), { msgID: event.eventId });
          published++;
          // Spread the events over several seconds, so the kills land while they flow.
          if (i % 1_000 === 999) await new Promise((r) => setTimeout(r, 250));
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    })();

    const kills: number[] = [];
    let killedAtMs = started;
    for (let k = 0; k < KILLS; k++) {
      // Kill only while the service is writing: after the trail has grown since it (re)started.
      const before = Number((await rows()).total);
      await waitFor(
        async () => (Number((await rows()).total) > before ? true : undefined),
        `audit-${generation} writing`,
        60_000,
      );
      await new Promise((r) => setTimeout(r, 150 + 100 * k));
      await audit!.kill();
      kills.push(Number((await rows()).total));
      killedAtMs = Date.now();
      await startAudit();
    }
    await publishing;
    expect(published).toBe(EVENTS);

    const final = await waitFor(
      async () => {
        const r = await rows();
        return Number(r.total) >= EVENTS ? r : undefined;
      },
      `${EVENTS} rows`,
      120_000,
    );
    const seconds = (Date.now() - started) / 1_000;
    // Settle: a late redelivery would show up as a duplicate now, not after the test.
    await new Promise((r) => setTimeout(r, 2_000));
    const settled = await rows();
    const ours = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${db.schema}".audit_entry WHERE event_id = ANY($1::uuid[])`,
      [Array.from({ length: EVENTS }, (_, i) => eventId(i))],
    );
    process.stdout.write(
      `exactly once: ${EVENTS} events, ${KILLS} SIGKILLs (rows at each kill: ${kills.join(', ')}), ` +
        `all recorded in ${seconds.toFixed(1)} s = ${Math.round(EVENTS / seconds)} events/s including restarts and ` +
        `ack-wait redeliveries; ${Math.round(kills[kills.length - 1] / ((killedAtMs - started) / 1_000))} rows/s up to the last kill\n`,
    );
    expect(kills.length).toBe(KILLS);
    expect(Number(final.total)).toBe(EVENTS);
    expect(settled).toEqual({ total: String(EVENTS), distinct_ids: String(EVENTS) });
    expect(Number(ours[0].n)).toBe(EVENTS);

    // The rows are also one unbroken hash chain, whatever the kills interrupted.
    const report = await verifyAuditChain({ url: db.url, schema: db.schema }, []);
    expect(report).toMatchObject({ ok: true, rowsVerified: EVENTS });
  }, 300_000);
});
