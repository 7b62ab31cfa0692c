import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AuditOperation, keyIdOf, nameBasedId, newAuditEvent, publicKeyDer, uuidv7 } from '#contracts';
import { AuditCheckpointStore, AuditRepository, openAuditStore, type AuditSigningKey } from '#audit-store';
import {
  auditConsumer,
  auditStream,
  connectBus,
  deadLetterStream,
  ensureConsumer,
  ensureStream,
  publishAuditEvent,
  publishAuditEvents,
  Streams,
  type Bus,
} from '#messaging';
import {
  startEmbeddedPostgres,
  startNatsServer,
  waitFor,
  type TestNatsServer,
  type TestPostgres,
} from '#testing';
import { AuditCheckpointer } from '../sign-checkpoint/audit-checkpointer.js';
import { RecordEventConsumer, type AuditRetryPolicy } from './record-event.consumer.js';

const SCHEMA = 'msx_audit_outage';
/** The production retry budget compressed: 20 ms doubling to 80 ms, 3 failed deliveries. */
const RETRY: AuditRetryPolicy = { retryDelayMs: 20, maxRetryDelayMs: 80, maxDeliver: 3 };
/** How long a message may be retried before it is given up on, were an outage not a hold, in milliseconds. */
const RETRY_BUDGET_MS = 20 + 40 + 80;
/** The database stays away this long: many times the whole budget. */
const OUTAGE_MS = 4_000;

function testKey(): AuditSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKeyDer(publicKey);
  return { privateKey, publicKey, publicKeyDer: der, keyId: keyIdOf(der), path: '(test)', generated: true };
}

/**
 * An audit database away for longer than the whole retry budget, under steady load (DESIGN §5): the events
 * the nodes and the router published meanwhile wait in the stream and are recorded when it is back, each
 * exactly once; nothing is given up on, so the dead-letter stream stays empty. The test owns its PostgreSQL,
 * so it can stop it; time is compressed through the retry policy.
 */
describe('the audit trail loses nothing however long the database is away', () => {
  let nats: TestNatsServer;
  let pg: TestPostgres;
  let ds: DataSource;
  let bus: Bus;
  let consumer: RecordEventConsumer;

  beforeAll(async () => {
    [nats, pg] = await Promise.all([startNatsServer(), startEmbeddedPostgres()]);
    ds = await openAuditStore({ url: pg.url, schema: SCHEMA });
    bus = await connectBus({ servers: nats.url, name: 'audit-outage-test' });
    await ensureStream(bus.jsm, auditStream());
    await ensureStream(bus.jsm, deadLetterStream());
    await ensureConsumer(bus.jsm, auditConsumer());
    const repo = new AuditRepository(ds);
    const checkpointer = new AuditCheckpointer(bus, repo, new AuditCheckpointStore(ds), {
      key: testKey(),
      logId: SCHEMA,
      everyRows: 1_000_000,
      everyMs: 3_600_000,
    });
    consumer = new RecordEventConsumer(bus, repo, checkpointer, RETRY);
    await consumer.onApplicationBootstrap();
  }, 60_000);

  afterAll(async () => {
    await consumer?.onApplicationShutdown();
    await bus?.close();
    await nats?.dispose();
    await ds?.destroy();
    await pg?.dispose();
  }, 60_000);

  it('records every acknowledged event exactly once after an outage longer than the retry budget, and gives up on none', async () => {
    expect(OUTAGE_MS).toBeGreaterThan(20 * RETRY_BUDGET_MS);
    /** `<publisher>/<event id>` of every event whose publish the stream acknowledged. */
    const acknowledged = new Set<string>();
    let loading = true;
    /** One publisher's steady stream of events: single events, and now and then an operation's batch. */
    const load = async (publisher: string) => {
      for (let n = 0; loading; n++) {
        const messageId = uuidv7();
        const events = Array.from({ length: n % 5 === 0 ? 3 : 1 }, (_, i) =>
          newAuditEvent({
            eventId: nameBasedId(publisher, messageId, String(i)),
            operation: AuditOperation.RECEIVED,
            actorNode: publisher === 'msx-router' ? 'emlo-ne' : publisher,
            messageId,
          }),
        );
        await (events.length === 1
          ? publishAuditEvent(bus.js, publisher, events[0])
          : publishAuditEvents(bus.js, publisher, events, messageId));
        for (const e of events) acknowledged.add(`${publisher}/${e.eventId}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const loaders = ['cp-it', 'jot-mare', 'msx-router'].map(load);
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

    await pause(500);
    await pg.stop();
    const atStop = acknowledged.size;
    await pause(OUTAGE_MS);
    const duringOutage = acknowledged.size - atStop;
    await pg.start();
    await pause(500);
    loading = false;
    await Promise.all(loaders);
    expect(duringOutage).toBeGreaterThan(100);

    const stored = await waitFor(
      async () => {
        const rows = await pg.query<{ key: string; n: string }>(
          `SELECT publisher || '/' || event_id AS key, count(*)::text AS n
             FROM "${SCHEMA}".audit_entry GROUP BY 1`,
        );
        return rows.length >= acknowledged.size ? rows : undefined;
      },
      'every acknowledged event recorded',
      60_000,
    );
    expect(stored.filter((r) => r.n !== '1')).toEqual([]);
    expect(new Set(stored.map((r) => r.key))).toEqual(acknowledged);
    expect((await bus.jsm.streams.info(Streams.deadLetter)).state.messages).toBe(0);
    const info = await bus.jsm.consumers.info(Streams.audit, auditConsumer().durable);
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  }, 120_000);
});
