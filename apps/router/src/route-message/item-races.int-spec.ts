import { generateKeyPairSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encodeEnvelope, envelopeFromJson, uuidv7, type Envelope, type EnvelopeJson } from '#contracts';
import { connectBus, provisionBus, Streams, type Bus } from '#messaging';
import {
  asJson,
  startNatsServer,
  testDirectory,
  validDebriefingReportEnvelope,
  validRecallEnvelope,
  validRouteReportEnvelope,
  validShareDecisionEnvelope,
  validShareRequestEnvelope,
  type TestNatsServer,
} from '#testing';
import { ExpiryIndex } from '../ledger/expiry-index.js';
import { JetStreamLedger } from '../ledger/jetstream-ledger.js';
import type { CopyLocations, LedgerItem, VersionedItem } from '../ledger/ledger.js';
import { routerKeysFrom } from '../vouch-deliveries/router-keys.js';
import type { RoutingPlan } from './route-message.handler.js';
import { RouteMessageService } from './route-message.service.js';

/**
 * Submissions about one item routed at the same time, as the consumer routes them, against the router's
 * service on a private nats-server: a consented forward and the originator's recall, and two forwards under
 * two consents. Each must plan from the item as the other left it: the recall reaches whoever the forward
 * reached, and the ledger keeps every recipient and the recall.
 */
const ORIGINATOR = 'emlo-ne';
const directory = testDirectory();

/** How late the ledger answers an item read: long enough for both submissions to read before either writes. */
const READ_DELAY_MS = 100;

/** A ledger far away: it answers an item read with the item as it stood when asked, {@link READ_DELAY_MS} later. */
class SlowLedger extends JetStreamLedger {
  /** Told of every read of an item to plan from, under its lock, as it starts. */
  onRead?: (messageId: string) => void;
  /** Awaited before the copies of a new item are added: holds a router between delivering and remembering. */
  beforeCopies?: () => Promise<void>;

  private async slowly<T>(messageId: string, read: Promise<T>): Promise<T> {
    const value = await read;
    await sleep(READ_DELAY_MS);
    return value;
  }

  override item(messageId: string): Promise<LedgerItem | undefined> {
    return this.slowly(messageId, super.item(messageId));
  }

  override itemForUpdate(messageId: string): Promise<VersionedItem | undefined> {
    this.onRead?.(messageId);
    return this.slowly(messageId, super.itemForUpdate(messageId));
  }

  /** The copies of the last new item this ledger was told of. */
  lastCopies?: CopyLocations;

  override async addCopies(messageId: string, copies: CopyLocations): Promise<LedgerItem> {
    this.lastCopies = copies;
    await this.beforeCopies?.();
    return super.addCopies(messageId, copies);
  }
}

/** A router of its own: its connection, its ledger (its memory of items) and its service. */
interface Router {
  bus: Bus;
  ledger: SlowLedger;
  service: RouteMessageService;
}

describe('submissions about one item, routed at the same time', () => {
  let nats: TestNatsServer;
  /** The router the helpers route through; `other` is a second router beside it on the same ledger. */
  let router: Router;
  let other: Router;
  let bus: Bus;
  let submitSeq = 0;
  const signing = generateKeyPairSync('ed25519').privateKey;

  async function startRouter(name: string): Promise<Router> {
    const bus = await connectBus({ servers: nats.url, name });
    const ledger = new SlowLedger(bus);
    return {
      bus,
      ledger,
      service: new RouteMessageService(bus, directory, ledger, new ExpiryIndex(), routerKeysFrom(signing)),
    };
  }

  beforeAll(async () => {
    nats = await startNatsServer();
    router = await startRouter('item-races-router-1');
    other = await startRouter('item-races-router-2');
    ({ bus } = router);
    await provisionBus(bus.jsm, directory.nodeIds());
  });

  afterAll(async () => {
    await router?.bus.close();
    await other?.bus.close();
    await nats?.dispose();
  });

  /** Routes an envelope as its sender's submission, each at its own submit sequence, on `by` (the first router). */
  function route(json: EnvelopeJson, by: Router = router): Promise<RoutingPlan> {
    const envelope: Envelope = envelopeFromJson(asJson(json));
    return by.service.route({
      envelope,
      bytes: encodeEnvelope(envelope),
      publisher: envelope.sender,
      submitSeq: ++submitSeq,
      correlationId: `item-races-${submitSeq}`,
    });
  }

  const fresh = () => ({ id: uuidv7(), createdAt: new Date().toISOString() });
  const deliveredTo = (plan: RoutingPlan) => plan.deliveries.map((d) => d.node).sort();
  /** The item as a router that starts now reads it from the ledger stream. */
  const stored = (messageId: string) => new JetStreamLedger(bus).item(messageId);

  /** The originator's H2 item for the EU only, routed; returns it with the nodes that received it. */
  async function original(json: EnvelopeJson): Promise<{ item: EnvelopeJson; holders: string[] }> {
    const item: EnvelopeJson = {
      ...json,
      handlingCode: 'HANDLING_CODE_H2',
      releasability: { scope: 'RELEASABILITY_SCOPE_EU_ONLY' },
    };
    const plan = await route(item);
    expect(plan.refusal).toBeUndefined();
    return { item, holders: deliveredTo(plan) };
  }

  /** `requester` asks to share the item with `to`, and the originator grants it; returns the consent's id. */
  async function consentFor(item: EnvelopeJson, requester: string, to: string): Promise<string> {
    const request = fresh().id;
    expect(
      deliveredTo(
        await route(
          validShareRequestEnvelope({
            ...fresh(),
            id: request,
            sender: requester,
            author: `${requester}.analyst-5`,
            threadId: item.id,
            inReplyTo: item.id,
            shareRequest: { messageId: item.id, proposedRecipients: [to], justification: 'Same network.' },
          }),
        ),
      ),
    ).toEqual([ORIGINATOR]);
    const decision = fresh().id;
    expect(
      deliveredTo(
        await route(
          validShareDecisionEnvelope({
            ...fresh(),
            id: decision,
            threadId: item.id,
            inReplyTo: request,
            shareDecision: {
              requestId: request,
              messageId: item.id,
              granted: true,
              reason: 'Concerned.',
              grantedRecipients: [to],
              validUntil: new Date(Date.now() + 86_400_000).toISOString(),
            },
          }),
        ),
      ),
    ).toEqual([requester]);
    return decision;
  }

  /** `sender`'s copy of the item, forwarded to `to` under the consent. */
  const forward = (item: EnvelopeJson, sender: string, to: string, consentRef: string): EnvelopeJson => ({
    ...item,
    ...fresh(),
    sender,
    author: `${sender}.analyst-5`,
    recipients: [to],
    consentRef,
  });

  /** The originator's recall of `item`. */
  const recallOf = (item: EnvelopeJson): EnvelopeJson =>
    validRecallEnvelope({
      ...fresh(),
      threadId: item.id,
      inReplyTo: item.id,
      recipients: [],
      recall: {
        messageId: item.id,
        reason: 'RECALL_REASON_INACCURATE',
        explanation: 'Wrong departure area.',
      },
    });

  /**
   * A consented forward routed by `forwarder` and the originator's recall routed by `recaller`, the recall
   * coming in while the forward reads the item it plans from.
   */
  async function forwardWhileRecalled(forwarder: Router, recaller: Router): Promise<void> {
    const { item, holders } = await original(
      validRouteReportEnvelope({ ...fresh(), sender: ORIGINATOR, recipients: ['cp-it'] }),
    );
    expect(holders).toContain('cp-it');
    expect(holders).not.toContain('cp-gr');
    const consent = await consentFor(item, 'cp-it', 'cp-gr');

    const forwardPlans = new Promise<void>((resolve) => {
      forwarder.ledger.onRead = (id) => {
        if (id === item.id) resolve();
      };
    });
    const forwarding = route(forward(item, 'cp-it', 'cp-gr', consent), forwarder);
    await forwardPlans;
    forwarder.ledger.onRead = undefined;
    const [forwarded, recalled] = await Promise.all([forwarding, route(recallOf(item), recaller)]);

    const forwardedTo = deliveredTo(forwarded);
    expect(forwardedTo).toEqual(['cp-gr']);
    // Whoever the forward reached, the recall reaches too.
    expect(deliveredTo(recalled)).toEqual(expect.arrayContaining([...holders, ...forwardedTo]));
    const after = await stored(item.id);
    expect(after?.recalled).toBe(true);
    expect(after?.recipients).toEqual(expect.arrayContaining([...holders, ...forwardedTo]));
    // And the copy the forward put into the new holder's inbox is removed with the others.
    expect(recalled.deleteCopies.map((c) => c.node)).toContain('cp-gr');
  }

  /** Two forwards under two consents, routed at the same time by `first` and `second`. */
  async function twoForwards(first: Router, second: Router): Promise<void> {
    const { item, holders } = await original(
      validDebriefingReportEnvelope({ ...fresh(), sender: ORIGINATOR, recipients: ['cp-it'] }),
    );
    expect(holders).toEqual(['cp-it', 'jot-mare']);
    const toGreece = await consentFor(item, 'cp-it', 'cp-gr');
    const toAfic = await consentFor(item, 'jot-mare', 'afic');

    const [a, b] = await Promise.all([
      route(forward(item, 'cp-it', 'cp-gr', toGreece), first),
      route(forward(item, 'jot-mare', 'afic', toAfic), second),
    ]);

    expect(deliveredTo(a)).toEqual(['cp-gr']);
    expect(deliveredTo(b)).toEqual(['afic']);
    const after = await stored(item.id);
    expect(after?.recipients.sort()).toEqual(['afic', 'cp-gr', 'cp-it', 'jot-mare']);
    expect(Object.keys(after?.copies ?? {}).sort()).toEqual(['afic', 'cp-gr', 'cp-it', 'jot-mare']);
  }

  describe('on one router', () => {
    it('recalls the item from the holder that a consented forward reached at the same time', () =>
      forwardWhileRecalled(router, router));

    it('keeps the recipients of two forwards under two consents routed at the same time', () =>
      twoForwards(router, router));
  });

  describe('on two routers side by side, sharing the ledger', () => {
    it('recalls the item from the holder that a forward on the other router reached at the same time', async () => {
      await forwardWhileRecalled(router, other);
      await forwardWhileRecalled(other, router);
    });

    it('keeps the recipients of two forwards routed at the same time on two routers', async () => {
      await twoForwards(router, other);
      await twoForwards(other, router);
    });

    it('removes the copies of a new item that the other router recalled before they were remembered', async () => {
      let reached!: () => void;
      let resume!: () => void;
      const delivered = new Promise<void>((r) => (reached = r));
      const held = new Promise<void>((r) => (resume = r));
      router.ledger.beforeCopies = () => (reached(), held);
      try {
        const json = validRouteReportEnvelope({ ...fresh(), sender: ORIGINATOR, recipients: ['cp-it'] });
        const routing = route({ ...json, handlingCode: 'HANDLING_CODE_H2' });
        await delivered;
        // The copies are in the inboxes, the item is stored, where the copies are is not yet.
        const recalled = await route(recallOf(json), other);
        resume();
        const plan = await routing;
        const holders = deliveredTo(plan);
        expect(holders).toContain('cp-it');
        expect(deliveredTo(recalled)).toEqual(expect.arrayContaining(holders));
        const after = await stored(json.id);
        expect(after?.recalled).toBe(true);
        expect(after?.copies).toEqual({});
        // Every copy the first router delivered is gone from its inbox.
        const copies = Object.entries(router.ledger.lastCopies ?? {});
        expect(copies.map(([node]) => node).sort()).toEqual(holders);
        for (const [node, seq] of copies)
          await expect(bus.jsm.streams.getMessage(Streams.inbox(node), { seq })).resolves.toBeNull();
      } finally {
        router.ledger.beforeCopies = undefined;
      }
    });

    it('waits for an item held by a router that died until its lease runs out', async () => {
      const item = fresh().id;
      const lease = new JetStreamLedger(bus, undefined, { lockLeaseMs: 400 });
      await lease.lockItem(item); // never given up: its router "dies" holding it
      const impatient = new JetStreamLedger(other.bus, undefined, { lockWaitMs: 50 });
      await expect(impatient.lockItem(item)).rejects.toMatchObject({
        code: 'ROUTER.ITEM_BUSY',
        retryable: true,
      });
      const started = Date.now();
      const unlock = await new JetStreamLedger(other.bus).lockItem(item);
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      // Given up, it is free at once.
      await unlock();
      const again = await impatient.lockItem(item);
      await again();
    });

    it("reads an item as the other router last stored it: who holds it decides what counts as another's", async () => {
      const { item } = await original(
        validRouteReportEnvelope({ ...fresh(), sender: ORIGINATOR, recipients: ['cp-it'] }),
      );
      // This router knows the item; the other one forwards it to a new holder.
      expect((await router.ledger.item(item.id))?.recipients).not.toContain('cp-gr');
      const there = (await other.ledger.itemForUpdate(item.id))!;
      await other.ledger.putItem(
        { ...there.item, recipients: [...there.item.recipients, 'cp-gr'] },
        there.version,
      );
      // The lookup that decides whether a new item re-publishes another party's intelligence sees the holder.
      expect((await router.ledger.item(item.id))?.recipients).toContain('cp-gr');
    });

    it('refuses to store an item over a version it did not read', async () => {
      const { item } = await original(
        validRouteReportEnvelope({ ...fresh(), sender: ORIGINATOR, recipients: ['cp-it'] }),
      );
      const stale = new JetStreamLedger(bus);
      const read = (await stale.itemForUpdate(item.id))!;
      // Another router writes the item in between.
      const fresher = new JetStreamLedger(other.bus);
      const current = (await fresher.itemForUpdate(item.id))!;
      await fresher.putItem(
        { ...current.item, recipients: [...current.item.recipients, 'cp-gr'] },
        current.version,
      );
      await expect(stale.putItem({ ...read.item, recalled: true }, read.version)).rejects.toMatchObject({
        code: 'ROUTER.LEDGER_CONFLICT',
        retryable: true,
      });
      // Nor is the same change over the old version taken for a retry of the write that came first.
      await expect(
        stale.putItem({ ...read.item, recipients: [...read.item.recipients, 'afic'] }, read.version),
      ).rejects.toMatchObject({ code: 'ROUTER.LEDGER_CONFLICT' });
      expect((await stored(item.id))?.recipients).toContain('cp-gr');
      expect((await stored(item.id))?.recalled).toBeUndefined();
    });
  });
});
