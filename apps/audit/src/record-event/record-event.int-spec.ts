import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  AuditOperation,
  encodeAuditEvent,
  keyIdOf,
  nameBasedId,
  newAuditEvent,
  publicKeyDer,
  uuidv7,
  type AuditEvent,
} from '#contracts';
import {
  AuditCheckpointStore,
  AuditRepository,
  openAuditStore,
  verifyAuditChain,
  type AuditEntryEntity,
  type AuditSigningKey,
} from '#audit-store';
import {
  auditConsumer,
  auditStream,
  connectBus,
  deadLetterStream,
  ensureConsumer,
  ensureStream,
  publishAuditEvent,
  publishAuditEvents,
  Subjects,
  type Bus,
} from '#messaging';
import { createTestSchema, startNatsServer, waitFor, type TestNatsServer, type TestSchema } from '#testing';
import { AuditCheckpointer } from '../sign-checkpoint/audit-checkpointer.js';
import { RecordEventConsumer } from './record-event.consumer.js';

function testKey(): AuditSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKeyDer(publicKey);
  return { privateKey, publicKey, publicKeyDer: der, keyId: keyIdOf(der), path: '(test)', generated: true };
}

/**
 * Audit identity per publisher (DESIGN §4) from the bus to the trail: the audit service's consumer on a real
 * nats-server and PostgreSQL, fed by the publishing functions the services use and by a party publishing on
 * its own audit subject whatever it likes (ids and `Nats-Msg-Id`s included).
 */
describe('recording audit events under the publisher that sent them', () => {
  let nats: TestNatsServer;
  let db: TestSchema;
  let ds: DataSource;
  let bus: Bus;
  let repo: AuditRepository;
  let consumer: RecordEventConsumer;

  /** Publishes raw bytes on `msx.audit.<publisher>` with a `Nats-Msg-Id` of the publisher's choosing. */
  const publishAs = (publisher: string, event: AuditEvent, msgID: string) =>
    bus.js.publish(Subjects.audit(publisher), encodeAuditEvent(event), { msgID });

  /** Waits until the trail of `messageId` has `count` rows, then a moment more for any late extra one. */
  async function trailOf(messageId: string, count: number): Promise<AuditEntryEntity[]> {
    await waitFor(
      async () => ((await repo.trailOf(messageId)).length >= count ? true : undefined),
      `${count} audit rows of ${messageId}`,
    );
    await new Promise((r) => setTimeout(r, 300));
    return repo.trailOf(messageId);
  }

  const described = (rows: AuditEntryEntity[]) =>
    rows.map((r) => `${r.publisher}:${r.operation}:${r.actorNode}:${r.eventId}`).sort();

  beforeAll(async () => {
    nats = await startNatsServer();
    db = await createTestSchema('record_event');
    ds = await openAuditStore({ url: db.url, schema: db.schema });
    bus = await connectBus({ servers: nats.url, name: 'record-event-test' });
    await ensureStream(bus.jsm, auditStream());
    await ensureStream(bus.jsm, deadLetterStream());
    await ensureConsumer(bus.jsm, auditConsumer());
    repo = new AuditRepository(ds);
    const checkpointer = new AuditCheckpointer(bus, repo, new AuditCheckpointStore(ds), {
      key: testKey(),
      logId: db.schema,
      everyRows: 1_000_000,
      everyMs: 3_600_000,
    });
    consumer = new RecordEventConsumer(bus, repo, checkpointer);
    await consumer.onApplicationBootstrap();
  });

  afterAll(async () => {
    await consumer?.onApplicationShutdown();
    await bus?.close();
    await nats?.dispose();
    await ds?.destroy();
    await db?.drop();
  });

  it("keeps the router's and the recipient's events although a party took their event ids and deduplication ids first", async () => {
    const id = uuidv7();
    const submitted = newAuditEvent({
      eventId: nameBasedId(id, 'submitted'),
      operation: AuditOperation.SUBMITTED,
      actorNode: 'emlo-ne',
      actorPerson: 'emlo-ne.officer-17',
      messageId: id,
    });
    const delivered = newAuditEvent({
      eventId: nameBasedId(id, 'delivered', 'cp-it'),
      operation: AuditOperation.DELIVERED,
      actorNode: 'emlo-ne',
      counterpartNode: 'cp-it',
      messageId: id,
      rule: 'POLICY.ALLOWED',
    });
    const received = newAuditEvent({
      eventId: nameBasedId('cp-it', id, 'received'),
      operation: AuditOperation.RECEIVED,
      actorNode: 'cp-it',
      actorPerson: 'cp-it.inbox',
      counterpartNode: 'emlo-ne',
      messageId: id,
    });
    // cp-gr records harmless events of its own under those event ids, on the `Nats-Msg-Id`s the router
    // (`<envelope id>:audit`) and the recipient (the event id) used before audit identity was per publisher.
    const decoy = (eventId: string) =>
      newAuditEvent({
        eventId,
        operation: AuditOperation.CONSULTED,
        actorNode: 'cp-gr',
        actorPerson: 'cp-gr.officer-1',
        messageId: id,
      });
    await publishAs('cp-gr', decoy(submitted.eventId), `${id}:audit`);
    await publishAs('cp-gr', decoy(received.eventId), received.eventId);

    await publishAuditEvents(bus.js, 'msx-router', [submitted, delivered], `${id}:audit`);
    await publishAuditEvent(bus.js, 'cp-it', received);

    const rows = await trailOf(id, 5);
    expect(described(rows)).toEqual(
      [
        `cp-gr:consulted:cp-gr:${submitted.eventId}`,
        `cp-gr:consulted:cp-gr:${received.eventId}`,
        `msx-router:submitted:emlo-ne:${submitted.eventId}`,
        `msx-router:delivered:emlo-ne:${delivered.eventId}`,
        `cp-it:received:cp-it:${received.eventId}`,
      ].sort(),
    );
    expect(await verifyAuditChain({ url: db.url, schema: db.schema }, [])).toMatchObject({ ok: true });
  });

  it('stores one (publisher, event id) once however often it comes, and the same id from two publishers twice', async () => {
    const id = uuidv7();
    const received = (node: string) =>
      newAuditEvent({
        eventId: nameBasedId('shared', id, 'received'),
        operation: AuditOperation.RECEIVED,
        actorNode: node,
        messageId: id,
      });
    // As after restarts of cp-it: the same event under a new `Nats-Msg-Id` each time, so the stream keeps all.
    for (let i = 0; i < 3; i++) await publishAs('cp-it', received('cp-it'), uuidv7());
    await publishAs('jot-mare', received('jot-mare'), uuidv7());
    // And a retry inside one process, which the stream itself stores once.
    await publishAuditEvent(bus.js, 'jot-mare', received('jot-mare'));
    await publishAuditEvent(bus.js, 'jot-mare', received('jot-mare'));

    const rows = await trailOf(id, 2);
    expect(rows.map((r) => r.publisher).sort()).toEqual(['cp-it', 'jot-mare']);
    expect(new Set(rows.map((r) => r.eventId)).size).toBe(1);
  });

  it("refuses a node's event about another node's operation, and records the forgery under msx-audit with the forger as actor", async () => {
    const id = uuidv7();
    const forged = newAuditEvent({
      eventId: nameBasedId('cp-it', id, 'received'),
      operation: AuditOperation.RECEIVED,
      actorNode: 'cp-it',
      messageId: id,
    });
    await publishAs('cp-gr', forged, uuidv7());

    const deadLettered = await waitFor(async () => {
      const [row] = await db.query<{ publisher: string; actor_node: string; actor_person: string }>(
        `SELECT publisher, actor_node, actor_person FROM "${db.schema}".audit_entry
          WHERE operation = 'dead_lettered' AND rule = 'AUDIT.FORGED_ACTOR'`,
      );
      return row;
    }, 'the forged event dead-lettered and recorded');
    expect(deadLettered).toEqual({ publisher: 'msx-audit', actor_node: 'cp-gr', actor_person: 'msx-audit' });
    expect(
      await db.query(`SELECT 1 FROM "${db.schema}".audit_entry WHERE event_id = $1`, [forged.eventId]),
    ).toEqual([]);
  });
});
