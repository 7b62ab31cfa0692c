import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditOperation,
  decodeEnvelope,
  deliverySigner,
  encodeEnvelope,
  envelopeFromJson,
  sha256Hex,
  signDelivery,
  uuidv7,
  type Envelope,
} from '#contracts';
import {
  connectBus,
  Headers,
  inboxConsumer,
  provisionBus,
  publishDurably,
  Streams,
  Subjects,
  type Bus,
} from '#messaging';
import {
  asJson,
  publishedAuditEvents,
  createTestSchema,
  validRecallEnvelope,
  startNatsServer,
  validRouteReportEnvelope,
  waitFor,
  type TestNatsServer,
  type TestSchema,
} from '#testing';
import type { HoldingsStore } from './holdings/holdings-store.js';
import type { InboxHandler, InboxItem, NodeOperation } from './inbox-worker.js';
import { loadNodeAppConfig } from './node-app.config.js';
import { NodeAppModule } from './node-app.module.js';
import { HOLDINGS } from './node-app.tokens.js';

const NODE = 'cp-it';

/** What the node's handler was given: only items the router vouched for may ever appear here. */
const handled: string[] = [];

@Injectable()
class RecordingHandler implements InboxHandler {
  handle(item: InboxItem): Promise<NodeOperation[]> {
    handled.push(item.envelope.id);
    return Promise.resolve([]);
  }
}

function routeReport(id = uuidv7()): Envelope {
  return envelopeFromJson(asJson(validRouteReportEnvelope({ id })));
}

/**
 * A node accepts only the copies the router vouched for (DESIGN §4): copies written into its inbox by any
 * other path are refused and audited before its handler sees anything, and the node never writes to the
 * dead-letter stream.
 */
describe('a node inbox on a real nats-server', () => {
  let nats: TestNatsServer;
  let bus: Bus;
  let app: INestApplicationContext;
  let dir: string;
  let db: TestSchema;
  const routerKeys = generateKeyPairSync('ed25519');
  const router = deliverySigner(routerKeys.privateKey);
  const impostor = deliverySigner(generateKeyPairSync('ed25519').privateKey);

  beforeAll(async () => {
    nats = await startNatsServer();
    db = await createTestSchema('inbox');
    bus = await connectBus({ servers: nats.url, name: 'inbox-test' });
    await provisionBus(bus.jsm, [NODE, 'cp-gr']);
    dir = mkdtempSync(join(tmpdir(), 'msx-inbox-'));
    // The router's private key file, as on a one-machine setup: the node derives the public half.
    const keyFile = join(dir, 'router.pem');
    writeFileSync(keyFile, routerKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const config = loadNodeAppConfig(NODE, { MSX_NATS_URL: nats.url, MSX_ROUTER_KEY_FILE: keyFile });
    app = await NestFactory.createApplicationContext(
      NodeAppModule.forNode({
        nodeId: NODE,
        natsUrl: nats.url,
        routerPublicKey: config.MSX_ROUTER_KEY_FILE.publicKeyDer,
        handler: RecordingHandler,
        witness: null,
        holdings: { url: db.url, schema: db.schema },
      }),
      { logger: ['error'] },
    );
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await nats?.dispose();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const auditOf = (publisher: string) => publishedAuditEvents(bus, publisher);

  async function deliver(bytes: Uint8Array, headers?: Record<string, string>): Promise<number> {
    const ack = await publishDurably(bus.js, Subjects.deliver(NODE), bytes, { msgID: uuidv7(), headers });
    return ack.seq;
  }

  it('takes a copy signed for it and refuses junk, copies signed for another node and unsigned copies', async () => {
    const junk = new TextEncoder().encode('junk the broker was made to write');
    const forOther = routeReport();
    const unsigned = routeReport();
    const good = routeReport();
    const bytes = (e: Envelope) => encodeEnvelope(e);
    const refusals = [
      { bytes: junk, seq: await deliver(junk), code: 'DELIVERY.UNSIGNED', messageId: '' },
      {
        bytes: bytes(forOther),
        seq: await deliver(
          bytes(forOther),
          signDelivery(router, forOther.id, 'cp-gr', bytes(forOther), 'delivered'),
        ),
        code: 'DELIVERY.BAD_SIGNATURE',
        messageId: forOther.id,
      },
      {
        bytes: bytes(unsigned),
        seq: await deliver(bytes(unsigned)),
        code: 'DELIVERY.UNSIGNED',
        messageId: unsigned.id,
      },
    ];
    await deliver(bytes(good), {
      ...signDelivery(router, good.id, NODE, bytes(good), 'delivered'),
      [Headers.correlationId]: 'corr-inbox-1',
    });

    // The good copy comes last and the inbox is read in order: once it is received, all were decided.
    const events = await waitFor(async () => {
      const all = await auditOf(NODE);
      return all.some((e) => e.operation === AuditOperation.RECEIVED) ? all : undefined;
    }, 'the vouched copy received');

    expect(handled).toEqual([good.id]);
    const received = events.filter((e) => e.operation === AuditOperation.RECEIVED);
    expect(received).toEqual([
      expect.objectContaining({
        messageId: good.id,
        counterpartNode: 'emlo-ne',
        correlationId: 'corr-inbox-1',
      }),
    ]);
    const rejected = events.filter((e) => e.operation === AuditOperation.REJECTED);
    expect(rejected.map((e) => e.rule)).toEqual(refusals.map((r) => r.code));
    for (const [i, r] of refusals.entries()) {
      expect(rejected[i]).toMatchObject({
        actorNode: NODE,
        actorPerson: `${NODE}.inbox`,
        messageId: r.messageId,
        messageSha256: sha256Hex(r.bytes),
        rule: r.code,
      });
      expect(JSON.parse(rejected[i].detailJson)).toEqual({
        reason: expect.any(String),
        stream: Streams.inbox(NODE),
        sequence: r.seq,
      });
    }
    // Nothing of a refused copy was kept, and nothing of the good one was refused.
    const holdings = app.get<HoldingsStore>(HOLDINGS);
    expect(await holdings.get(good.id)).toBeDefined();
    for (const e of [forOther, unsigned]) expect(await holdings.get(e.id)).toBeUndefined();
    expect(events).toHaveLength(refusals.length + 1);

    // Settled for good: acked, not to be redelivered; and the node wrote nothing to the dead-letter stream.
    const consumer = await waitFor(async () => {
      const info = await bus.jsm.consumers.info(Streams.inbox(NODE), inboxConsumer(NODE).durable);
      return info.num_pending + info.num_ack_pending === 0 ? info : undefined;
    }, 'the inbox consumer settled');
    expect(consumer.num_redelivered).toBe(0);
    expect((await bus.jsm.streams.info(Streams.deadLetter)).state.messages).toBe(0);
  });

  it('gives up on a vouched copy that breaks the contract by auditing it only, leaving it in the inbox', async () => {
    const broken = routeReport();
    broken.sender = 'Not A Node';
    const bytes = encodeEnvelope(broken);
    const seq = await deliver(bytes, signDelivery(router, broken.id, NODE, bytes, 'delivered'));
    const dead = await waitFor(
      async () =>
        (await auditOf(NODE)).find(
          (e) => e.operation === AuditOperation.DEAD_LETTERED && e.messageSha256 === sha256Hex(bytes),
        ),
      'the dead-letter audit event',
    );
    expect(dead).toMatchObject({
      actorNode: NODE,
      actorPerson: `${NODE}.inbox`,
      rule: 'CONTRACT.INVALID',
      messageSha256: sha256Hex(bytes),
    });
    expect(JSON.parse(dead.detailJson)).toMatchObject({
      stream: Streams.inbox(NODE),
      sequence: seq,
      keptIn: Streams.inbox(NODE),
      keptForDays: 60,
    });
    expect(handled).not.toContain(broken.id);
    expect((await bus.jsm.streams.getMessage(Streams.inbox(NODE), { seq }))?.data).toEqual(bytes);
    expect((await bus.jsm.streams.info(Streams.deadLetter)).state.messages).toBe(0);
  });

  it('erases a held copy and a forwarded copy on recall, states it, and neither keeps nor uses a copy that comes again', async () => {
    const item = routeReport();
    const forward = routeReport();
    forward.consentRef = uuidv7();
    const ib = encodeEnvelope(item);
    const fb = encodeEnvelope(forward);
    await deliver(ib, signDelivery(router, item.id, NODE, ib, 'delivered'));
    await deliver(fb, signDelivery(router, forward.id, NODE, fb, 'forwarded', item.id));
    const holdings = app.get<HoldingsStore>(HOLDINGS);
    await waitFor(async () => (await holdings.get(forward.id)) && true, 'the forwarded copy kept');
    expect(await holdings.get(forward.id)).toMatchObject({ itemId: item.id });

    const recall = envelopeFromJson(
      asJson(
        validRecallEnvelope({
          id: uuidv7(),
          sender: 'emlo-ne',
          recipients: [],
          recall: { messageId: item.id, reason: 'RECALL_REASON_INACCURATE', explanation: 'Wrong area.' },
        }),
      ),
    );
    const rb = encodeEnvelope(recall);
    await deliver(rb, signDelivery(router, recall.id, NODE, rb, 'recall'));
    const erased = await waitFor(
      async () =>
        (await auditOf(NODE)).find((e) => e.operation === AuditOperation.ERASED && e.messageId === item.id),
      'the erased audit event',
    );
    expect(JSON.parse(erased.detailJson)).toMatchObject({ erased: ['copy', `forwarded-copy:${forward.id}`] });
    expect(await holdings.get(item.id)).toBeUndefined();
    expect(await holdings.get(forward.id)).toBeUndefined();
    // The receipt on the node's submit subject says the same, and goes to the originator.
    const receipt = await waitFor(async () => {
      const state = (await bus.jsm.streams.info(Streams.submit)).state;
      for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
        const m = await bus.jsm.streams.getMessage(Streams.submit, { seq }).catch(() => null);
        const e = m && m.subject === Subjects.submit(NODE) ? decodeEnvelope(m.data) : undefined;
        if (e?.payload.case === 'erasureReceipt' && e.payload.value.messageId === item.id) return e;
      }
      return undefined;
    }, 'the erasure receipt');
    expect(receipt.recipients).toEqual([item.sender]);
    expect(receipt.payload.case === 'erasureReceipt' && receipt.payload.value.erased).toEqual([
      'copy',
      `forwarded-copy:${forward.id}`,
    ]);

    // The item's copy comes again (a late redelivery): not kept, not handed to the handler.
    const seen = handled.filter((id) => id === item.id).length;
    await deliver(ib, signDelivery(router, item.id, NODE, ib, 'delivered'));
    await waitFor(async () => {
      const info = await bus.jsm.consumers.info(Streams.inbox(NODE), inboxConsumer(NODE).durable);
      return info.num_pending + info.num_ack_pending === 0 ? true : undefined;
    }, 'the inbox consumer settled');
    expect(handled.filter((id) => id === item.id)).toHaveLength(seen);
    expect(await holdings.get(item.id)).toBeUndefined();
  });

  // Last: the inbox stays held on this copy.
  it('holds the inbox, in order, on a copy signed with another key: it is neither refused nor received', async () => {
    const foreign = routeReport();
    const after = routeReport();
    const fb = encodeEnvelope(foreign);
    const ab = encodeEnvelope(after);
    await deliver(fb, signDelivery(impostor, foreign.id, NODE, fb, 'delivered'));
    await deliver(ab, signDelivery(router, after.id, NODE, ab, 'delivered'));
    const held = await waitFor(async () => {
      const info = await bus.jsm.consumers.info(Streams.inbox(NODE), inboxConsumer(NODE).durable);
      return info.num_redelivered > 0 ? info : undefined;
    }, 'the foreign-key copy delivered again');
    expect(held.num_ack_pending + held.num_pending).toBe(2);
    expect(handled).not.toContain(foreign.id);
    expect(handled).not.toContain(after.id);
    const events = await auditOf(NODE);
    expect(events.filter((e) => e.messageId === foreign.id || e.messageId === after.id)).toEqual([]);
  });

  it('refuses to start without a usable MSX_ROUTER_KEY_FILE, naming it', () => {
    const env = { MSX_NATS_URL: nats.url };
    expect(() => loadNodeAppConfig(NODE, env)).toThrow(/MSX_ROUTER_KEY_FILE: is required/);
    expect(() => loadNodeAppConfig(NODE, { ...env, MSX_ROUTER_KEY_FILE: join(dir, 'absent.pem') })).toThrow(
      /MSX_ROUTER_KEY_FILE: cannot read .*absent\.pem: ENOENT/,
    );
    const rsa = join(dir, 'rsa.pem');
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(rsa, publicKey.export({ type: 'spki', format: 'pem' }));
    expect(() => loadNodeAppConfig(NODE, { ...env, MSX_ROUTER_KEY_FILE: rsa })).toThrow(
      /MSX_ROUTER_KEY_FILE: .*rsa\.pem holds a rsa key/,
    );
  });
});
