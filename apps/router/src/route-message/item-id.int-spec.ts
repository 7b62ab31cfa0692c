import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AuditOperation,
  DecisionOutcome,
  decodeAuditEvent,
  decodeAuditEventBatch,
  decodeEnvelope,
  encodeEnvelope,
  envelopeFromJson,
  publicKeyDer,
  sha256Hex,
  uuidv7,
  verifyDelivery,
  type AuditEvent,
  type DeliveryReceipt,
  type Envelope,
  type EnvelopeJson,
} from '#contracts';
import {
  connectBus,
  Durables,
  Headers,
  provisionBus,
  publishDurably,
  Streams,
  Subjects,
  type Bus,
} from '#messaging';
import type { AuditGate } from '#runtime';
import {
  startNatsServer,
  testDirectory,
  waitFor,
  type TestNatsServer,
  asJson,
  validModusOperandiReportEnvelope,
  validRecallEnvelope,
  validRouteReportEnvelope,
} from '#testing';
import { ExpiryIndex } from '../ledger/expiry-index.js';
import { JetStreamLedger } from '../ledger/jetstream-ledger.js';
import type { LedgerItem } from '../ledger/ledger.js';
import { routerKeysFrom } from '../vouch-deliveries/router-keys.js';
import { RouteMessageConsumer } from './route-message.consumer.js';
import { RouteMessageService } from './route-message.service.js';

/**
 * The takeover of an item id, against the router's consumer on a private nats-server: party B publishes a
 * different item under party A's item id straight onto its own submit subject, with a deduplication id of
 * its own (as it could after the broker's two-hour window), then tries to recall A's item.
 */
const A = 'emlo-ne';
const B = 'cp-gr';
const directory = testDirectory();
const routerKey = generateKeyPairSync('ed25519').privateKey;
const routerPublicKey = publicKeyDer(createPublicKey(routerKey));

/** A copy found in an inbox, as the node would read it. */
interface InboxCopy {
  seq: number;
  bytes: Uint8Array;
  envelope: Envelope;
  header: (name: string) => string | undefined;
}

/** A plain connection to the private server: one principal, no credentials (the server has no accounts). */
const connectPlain = (url: string): Promise<Bus> => connectBus({ servers: url, name: 'item-id-test' });

describe('an item id belongs to its originator from first sight', () => {
  let nats: TestNatsServer;
  let bus: Bus;
  let router: RouteMessageConsumer;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectPlain(nats.url);
    await provisionBus(bus.jsm, directory.nodeIds());
    // The audit gate is beside the point here: it is always open.
    const openGate = { check: () => undefined } as unknown as AuditGate;
    router = new RouteMessageConsumer(
      bus,
      new RouteMessageService(
        bus,
        directory,
        new JetStreamLedger(bus),
        new ExpiryIndex(),
        routerKeysFrom(routerKey),
      ),
      openGate,
    );
    await router.onApplicationBootstrap();
  });

  afterAll(async () => {
    await router?.onApplicationShutdown();
    await bus?.close();
    await nats?.dispose();
  });

  const now = () => new Date().toISOString();
  const build = (json: EnvelopeJson) => envelopeFromJson(asJson(json));

  /** Publishes on the node's own submit subject, as the node itself can; returns the exact bytes. */
  async function submit(node: string, envelope: Envelope, msgID = envelope.id): Promise<Uint8Array> {
    const bytes = encodeEnvelope(envelope);
    const ack = await publishDurably(bus.js, Subjects.submit(node), bytes, { msgID });
    expect(ack.duplicate).toBe(false);
    return bytes;
  }

  /** Every copy in a node's inbox stream. */
  async function inbox(node: string): Promise<InboxCopy[]> {
    const stream = Streams.inbox(node);
    const { state } = await bus.jsm.streams.info(stream);
    const copies: InboxCopy[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (!m) continue;
      copies.push({
        seq,
        bytes: m.data,
        envelope: decodeEnvelope(m.data),
        header: (name) => m.header?.get(name) || undefined,
      });
    }
    return copies;
  }

  /** The `nth` receipt of the router in `node`'s inbox about `messageId`, once there. */
  async function receiptIn(node: string, messageId: string, nth = 1): Promise<InboxCopy> {
    return waitFor(async () => {
      const receipts = (await inbox(node)).filter((c) => {
        const p = c.envelope.payload;
        return p.case === 'deliveryReceipt' && p.value.messageId === messageId;
      });
      return receipts[nth - 1];
    }, `${node}'s receipt number ${nth} for ${messageId}`);
  }

  const receiptOf = (c: InboxCopy): DeliveryReceipt => {
    if (c.envelope.payload.case !== 'deliveryReceipt') throw new Error('not a receipt');
    return c.envelope.payload.value;
  };

  /** Resolves once the router has routed and acknowledged everything submitted so far. */
  async function routed(): Promise<void> {
    await waitFor(async () => {
      const info = await bus.jsm.consumers.info(Streams.submit, Durables.router);
      return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    }, 'the router to finish');
  }

  /** The item as the ledger stores it, read from the stream (not from the router's memory). */
  async function storedItem(id: string): Promise<LedgerItem> {
    const m = await bus.jsm.direct.getMessage(Streams.ledger, { last_by_subj: Subjects.ledger('item', id) });
    return JSON.parse(new TextDecoder().decode(m!.data)) as LedgerItem;
  }

  /** Every audit event the router published. */
  async function auditEvents(): Promise<AuditEvent[]> {
    const { state } = await bus.jsm.streams.info(Streams.audit);
    const events: AuditEvent[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await bus.jsm.streams.getMessage(Streams.audit, { seq });
      if (!m || m.subject !== Subjects.audit('msx-router')) continue;
      if (m.header?.get(Headers.auditBatch)) events.push(...decodeAuditEventBatch(m.data));
      else events.push(decodeAuditEvent(m.data));
    }
    return events;
  }

  const vouched = (node: string, c: InboxCopy) =>
    verifyDelivery(routerPublicKey, node, c.envelope.id, c.bytes, c.header);

  const X = uuidv7();
  let originalBytes: Uint8Array;
  let itemBefore: LedgerItem;

  it("routes party A's item and remembers A as its originator", async () => {
    originalBytes = await submit(
      A,
      build(validRouteReportEnvelope({ id: X, threadId: X, createdAt: now(), recipients: [B, 'cp-it'] })),
    );
    expect(receiptOf(await receiptIn(A, X)).refusedRule).toBe('');
    await routed();
    itemBefore = await storedItem(X);
    expect(itemBefore).toMatchObject({ messageId: X, originator: A });
    expect(itemBefore.recipients).toEqual(expect.arrayContaining([B, 'cp-it']));
    for (const node of itemBefore.recipients) {
      const copies = (await inbox(node)).filter((c) => c.envelope.id === X);
      expect(copies.map((c) => sha256Hex(c.bytes))).toEqual([sha256Hex(originalBytes)]);
      expect(vouched(node, copies[0])).toEqual({ vouched: true, decision: 'delivered' });
    }
  });

  it("refuses party B's different item under A's id, under a deduplication id of B's own", async () => {
    const takeover = build(
      validModusOperandiReportEnvelope({
        id: X,
        threadId: X,
        sender: B,
        author: `${B}.officer-4`,
        createdAt: now(),
        recipients: ['cp-it', 'jot-mare'],
      }),
    );
    const takeoverBytes = await submit(B, takeover, `${X}:${B}`);
    const receipt = await receiptIn(B, X);
    await routed();

    // B learns why, and nothing about whose item it is.
    const r = receiptOf(receipt);
    expect(r.refusedRule).toBe('POLICY.ID_ALREADY_USED');
    expect(r.refusedReason).toMatch(new RegExp(`^id ${X} already belongs to an item first seen at `));
    expect(r.refusedReason).not.toContain(A);
    expect(r.decisions.length).toBeGreaterThan(0);
    for (const d of r.decisions)
      expect(d).toMatchObject({ outcome: DecisionOutcome.WITHHELD, rule: 'POLICY.ID_ALREADY_USED' });
    expect(vouched(B, receipt)).toEqual({ vouched: true, decision: 'receipt' });

    // The ledger still says the item is A's, unchanged.
    expect(await storedItem(X)).toEqual(itemBefore);

    // Nothing of B's envelope reached anyone; every copy under id X is A's.
    for (const node of directory.nodeIds()) {
      for (const c of await inbox(node)) {
        expect(sha256Hex(c.bytes)).not.toBe(sha256Hex(takeoverBytes));
        if (c.envelope.id === X) expect(sha256Hex(c.bytes)).toBe(sha256Hex(originalBytes));
      }
    }

    // Audited as rejected, beside A's events rather than deduplicated into them.
    const events = (await auditEvents()).filter((e) => e.messageId === X);
    const bySender = (node: string) => events.filter((e) => e.actorNode === node);
    expect(
      bySender(B)
        .filter((e) => e.operation === AuditOperation.REJECTED)
        .map((e) => [e.rule, e.messageSha256]),
    ).toEqual([['POLICY.ID_ALREADY_USED', sha256Hex(takeoverBytes)]]);
    expect(bySender(B).filter((e) => e.operation === AuditOperation.SUBMITTED)).toHaveLength(1);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(bySender(A).some((e) => e.operation === AuditOperation.DELIVERED)).toBe(true);
  });

  it("refuses A's id written in upper case: it is the same id", async () => {
    const upper = X.toUpperCase();
    const takeover = build(
      validModusOperandiReportEnvelope({
        id: upper,
        threadId: upper,
        sender: B,
        author: `${B}.officer-4`,
        createdAt: now(),
        recipients: ['cp-it'],
      }),
    );
    await submit(B, takeover);
    expect(receiptOf(await receiptIn(B, upper)).refusedRule).toBe('POLICY.ID_ALREADY_USED');
    await routed();
    expect((await inbox('cp-it')).some((c) => c.envelope.id === upper)).toBe(false);
  });

  it("refuses B's recall of A's item and carries out A's", async () => {
    const recall = (node: string) =>
      build(
        validRecallEnvelope({
          id: uuidv7(),
          threadId: X,
          inReplyTo: X,
          sender: node,
          author: `${node}.officer-4`,
          createdAt: now(),
          recipients: [],
          recall: { messageId: X, reason: 'RECALL_REASON_INACCURATE', explanation: 'withdrawn' },
        }),
      );

    const byB = recall(B);
    await submit(B, byB);
    expect(receiptOf(await receiptIn(B, byB.id))).toMatchObject({
      refusedRule: 'POLICY.NOT_ORIGINATOR',
      refusedReason: expect.stringContaining(`${B} is not the originator`),
    });
    await routed();
    expect(await storedItem(X)).toEqual(itemBefore);
    for (const node of itemBefore.recipients) {
      expect((await inbox(node)).some((c) => c.envelope.id === X)).toBe(true);
      expect((await inbox(node)).some((c) => c.envelope.id === byB.id)).toBe(false);
    }

    const byA = recall(A);
    await submit(A, byA);
    expect(receiptOf(await receiptIn(A, byA.id)).refusedRule).toBe('');
    await routed();
    expect((await storedItem(X)).recalled).toBe(true);
    for (const node of itemBefore.recipients) {
      const copies = await inbox(node);
      // The recall reached every holder, vouched for as a recall, and their copy of the item is gone.
      const recallCopy = copies.find((c) => c.envelope.id === byA.id);
      expect(recallCopy && vouched(node, recallCopy)).toEqual({ vouched: true, decision: 'recall' });
      expect(copies.some((c) => c.envelope.id === X)).toBe(false);
    }
  });

  it("refuses the originator's own second submission under an id it already used", async () => {
    const id = uuidv7();
    const first = build(
      validRouteReportEnvelope({ id, threadId: id, createdAt: now(), recipients: ['cp-it'] }),
    );
    const firstBytes = await submit(A, first);
    await receiptIn(A, id);
    // The same envelope again after the broker's deduplication window: a new submission, not a redelivery.
    await submit(A, first, `${id}:later`);
    const refused = receiptOf(await receiptIn(A, id, 2));
    expect(refused.refusedRule).toBe('POLICY.ID_ALREADY_USED');
    expect(refused.refusedReason).toMatch(/a new submission needs a new id$/);
    await routed();
    const copies = (await inbox('cp-it')).filter((c) => c.envelope.id === id);
    expect(copies.map((c) => sha256Hex(c.bytes))).toEqual([sha256Hex(firstBytes)]);
  });
});
