import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HandlingCode, sha256Hex, Tlp, uuidv7 } from '#contracts';
import { connectBus, provisionBus, Streams, Subjects, type Bus } from '#messaging';
import { startNatsServer, testDirectory, waitFor, type TestNatsServer } from '#testing';
import { JetStreamLedger } from './jetstream-ledger.js';
import type { LedgerItem } from './ledger.js';

/** The selector index on a private nats-server, written by two routers at once. */
const directory = testDirectory();
const digest = (s: string) => sha256Hex(new TextEncoder().encode(s));

const itemOf = (messageId: string, selectors: string[]): LedgerItem => ({
  messageId,
  originator: 'emlo-ne',
  type: 'debriefingReport',
  handlingCode: HandlingCode.H2,
  tlp: Tlp.AMBER,
  payloadSha256: digest(messageId),
  recipients: ['cp-it'],
  selectors,
  copies: {},
});

describe('the selector index in the ledger', () => {
  let nats: TestNatsServer;
  let bus: Bus;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'selector-index-test' });
    await provisionBus(bus.jsm, directory.nodeIds());
  });

  afterAll(async () => {
    await bus?.close();
    await nats?.dispose();
  });

  it('loses no item when two routers index items with the same selector at the same time', async () => {
    const common = digest('phone:+218912345678');
    const [a, b] = [new JetStreamLedger(bus), new JetStreamLedger(bus)];
    // Both routers have loaded the index, so each must learn of the other's entries by following it.
    await Promise.all([a.itemsBySelectors([common]), b.itemsBySelectors([common])]);
    const ids = Array.from({ length: 40 }, () => uuidv7());
    await Promise.all(
      ids.map((id, i) =>
        (i % 2 ? a : b).putSelectorIndex([common, digest(`imo:${i}`)], {
          messageId: id,
          originator: 'cp-gr',
        }),
      ),
    );
    for (const id of ids) await (i(id) % 2 ? a : b).storeNewItem(itemOf(id, [common]));
    // One record per selector and item, written once: nothing to contend for, nothing overwritten.
    const stored = await bus.jsm.streams.info(Streams.ledger, {
      subjects_filter: Subjects.ledger('selector', `${common}.*`),
    });
    expect(Object.keys(stored.state.subjects ?? {}).length).toBe(40);
    // A router that starts now finds all 40, and so do both running routers.
    const fresh = new JetStreamLedger(bus);
    for (const ledger of [fresh, a, b]) {
      const found = await waitFor(
        async () => {
          const items = await ledger.itemsBySelectors([common]);
          return items.length === 40 ? items : undefined;
        },
        'all 40 items through the common selector',
        10_000,
      );
      expect(found.map((item) => item.messageId).sort()).toEqual([...ids].sort());
    }
    function i(id: string) {
      return ids.indexOf(id);
    }
  });

  it('is idempotent: indexing the same item again changes nothing', async () => {
    const ledger = new JetStreamLedger(bus);
    const selector = digest('iban:IT60X0542811101000000123456');
    const id = uuidv7();
    await ledger.putSelectorIndex([selector], { messageId: id, originator: 'cp-gr' });
    const before = await bus.jsm.streams.info(Streams.ledger);
    await ledger.putSelectorIndex([selector], { messageId: id, originator: 'cp-gr' });
    const after = await bus.jsm.streams.info(Streams.ledger);
    expect(after.state.last_seq).toBe(before.state.last_seq);
  });

  it('finds each stored item once through any of its selectors, from a router that starts empty', async () => {
    const writer = new JetStreamLedger(bus);
    const [s1, s2, s3] = ['imo:9074729', 'mmsi:620999123', 'url:t.me/x'].map(digest);
    const first = itemOf(uuidv7(), [s1, s2]);
    const second = itemOf(uuidv7(), [s2, s3]);
    for (const item of [first, second]) {
      await writer.putSelectorIndex(item.selectors!, item);
      await writer.storeNewItem(item);
    }
    // Indexed but never stored (its route did not finish): left out rather than guessed.
    await writer.putSelectorIndex([s1], { messageId: uuidv7(), originator: 'emlo-ne' });

    const reader = new JetStreamLedger(bus);
    const found = await reader.itemsBySelectors([s1, s2, digest('phone:+0')]);
    expect(found.map((i) => i.messageId).sort()).toEqual([first.messageId, second.messageId].sort());
    expect(await reader.itemsBySelectors([digest('phone:+0')])).toEqual([]);
    // A sender's own items are never read for its submissions.
    expect(await reader.itemsBySelectors([s1, s2], 'emlo-ne')).toEqual([]);
  });
});
