import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HandlingCode, sha256Hex, Tlp, uuidv7 } from '#contracts';
import { connectBus, provisionBus, Subjects, type Bus } from '#messaging';
import { startNatsServer, testDirectory, type TestNatsServer } from '#testing';
import { JetStreamLedger } from './jetstream-ledger.js';
import type { LedgerItem } from './ledger.js';

/** Items of about 1 KB stored JSON: a referral to many parties. */
const itemOf = (messageId: string): LedgerItem => ({
  messageId,
  originator: 'emlo-ne',
  type: 'internetContentReferral',
  handlingCode: HandlingCode.H1,
  tlp: Tlp.AMBER,
  payloadSha256: sha256Hex(new TextEncoder().encode(messageId)),
  recipients: Array.from({ length: 60 }, (_, i) => `cp-${String(i).padStart(2, '0')}`),
  selectors: [],
  copies: {},
});

/** The items a router keeps in memory, on a private nats-server: bounded by bytes, never needed for a decision. */
describe("the ledger's items in memory", () => {
  let nats: TestNatsServer;
  let bus: Bus;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'item-cache-test' });
    await provisionBus(bus.jsm, testDirectory().nodeIds());
  });

  afterAll(async () => {
    await bus?.close();
    await nats?.dispose();
  });

  it('keeps at most the bytes it is given, and adds copies to an item it no longer holds', async () => {
    const limit = 16 * 1024;
    const ledger = new JetStreamLedger(bus, undefined, { itemCacheBytes: limit });
    const ids = Array.from({ length: 60 }, () => uuidv7());
    let most = 0;
    for (const id of ids) {
      await ledger.storeNewItem(itemOf(id));
      most = Math.max(most, ledger.cachedItemBytes);
    }
    // About 60 KB went through; no more than the limit stayed, and the latest items did.
    expect(most).toBeLessThanOrEqual(limit);
    expect(ledger.cachedItemBytes).toBeGreaterThan(limit / 2);
    // The first item left memory long ago: its copies are added over the version in the stream.
    const first = await ledger.addCopies(ids[0], { 'cp-00': 7 });
    expect(first.copies).toEqual({ 'cp-00': 7 });
    expect((await new JetStreamLedger(bus).item(ids[0]))?.copies).toEqual({ 'cp-00': 7 });
    expect(ledger.cachedItemBytes).toBeLessThanOrEqual(limit);
  });
});

/** A lock write that reaches the stream but whose answer is lost on the way back. */
describe("the ledger's item lock when the answer to taking it is lost", () => {
  let nats: TestNatsServer;
  let bus: Bus;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'lock-answer-test' });
    await provisionBus(bus.jsm, testDirectory().nodeIds());
  });

  afterAll(async () => {
    await bus?.close();
    await nats?.dispose();
  });

  it('finds the lock its own, uses it and gives it up, rather than leave the item locked for a lease', async () => {
    const id = uuidv7();
    const lockSubject = Subjects.ledger('lock', id);
    let lost = 0;
    // The bus as the router sees it, except that the first answer to taking this item's lock never arrives.
    const losing: Bus = {
      ...bus,
      js: new Proxy(bus.js, {
        get(target, prop) {
          if (prop !== 'publish') return Reflect.get(target, prop, target) as unknown;
          return async (...args: Parameters<Bus['js']['publish']>) => {
            const ack = await target.publish(...args);
            if (args[0] === lockSubject && args[2]?.msgID && lost++ === 0)
              throw new Error('TIMEOUT: the answer was lost');
            return ack;
          };
        },
      }),
    };
    const router = new JetStreamLedger(losing, undefined, { lockLeaseMs: 60_000, lockWaitMs: 300 });
    const release = await router.lockItem(id);
    expect(lost).toBe(1);
    // Held: another router waits for it…
    const other = new JetStreamLedger(bus, undefined, { lockLeaseMs: 60_000, lockWaitMs: 300 });
    await expect(other.lockItem(id)).rejects.toMatchObject({ code: 'ROUTER.ITEM_BUSY' });
    // …until it is given up, long before its lease of a minute.
    await release();
    const next = await other.lockItem(id);
    await next();
  });
});
