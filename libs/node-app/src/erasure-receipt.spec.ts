import { describe, expect, it } from '@jest/globals';
import { assertValidEnvelopeJson, envelopeFromJson, envelopeToJson, ROUTER_NODE, uuidv7 } from '#contracts';
import { asJson, validRecallEnvelope } from '#testing';
import { erasureReceiptFor, MAX_ERASED_ENTRIES, receiptList } from './erasure-receipt.js';

const ITEM = '0193a1b2-0000-7000-8000-0000000000aa';

const recallFrom = (sender: string) =>
  envelopeFromJson(
    asJson(
      validRecallEnvelope({
        id: uuidv7(),
        sender,
        recipients: [],
        recall: { messageId: ITEM, reason: 'RECALL_REASON_EXPIRED', explanation: '' },
      }),
    ),
  );

describe('erasure receipts', () => {
  it('lists every entry up to the limit, and sums up the rest in the last', () => {
    const few = ['copy', 'vessel-watch-list:imo:9074729'];
    expect(receiptList(few)).toEqual(few);
    const many = Array.from({ length: MAX_ERASED_ENTRIES + 40 }, (_, i) => `vessel-watch-list:name:V${i}`);
    const listed = receiptList(many);
    expect(listed).toHaveLength(MAX_ERASED_ENTRIES);
    expect(listed.at(-1)).toBe('more:41');
    expect(listed.slice(0, -1)).toEqual(many.slice(0, MAX_ERASED_ENTRIES - 1));
    expect(receiptList(many.slice(0, MAX_ERASED_ENTRIES))).toHaveLength(MAX_ERASED_ENTRIES);
  });

  it('states the erasure time and list of the account, goes to the originator, and passes the contract', () => {
    const erasedAt = new Date('2026-11-30T10:00:00.000Z');
    const erased = Array.from({ length: MAX_ERASED_ENTRIES + 1 }, (_, i) => (i === 0 ? 'copy' : `x:${i}`));
    const receipt = erasureReceiptFor(
      'cp-it',
      recallFrom(ROUTER_NODE),
      { messageId: ITEM, recallId: uuidv7(), erasedAt, erased, originator: 'emlo-ne' },
      Date.parse('2026-12-01T08:00:00Z'),
      'node-secret',
    );
    expect(receipt.recipients).toEqual(['emlo-ne']);
    expect(receipt.payload.case).toBe('erasureReceipt');
    const value = receipt.payload.case === 'erasureReceipt' ? receipt.payload.value : undefined;
    expect(value?.erased).toHaveLength(MAX_ERASED_ENTRIES);
    expect(value?.erasedAt?.seconds).toBe(BigInt(erasedAt.getTime() / 1000));
    expect(() => assertValidEnvelopeJson(envelopeToJson(receipt))).not.toThrow();
    // Without the item's own copy, the recall's sender is the originator; the router's expiry names none.
    const noOriginator = { messageId: ITEM, recallId: '', erasedAt, erased: ['forwarded-copy:x'] };
    expect(erasureReceiptFor('cp-gr', recallFrom('emlo-ne'), noOriginator, 0, 'k').recipients).toEqual([
      'emlo-ne',
    ]);
    expect(erasureReceiptFor('cp-gr', recallFrom(ROUTER_NODE), noOriginator, 0, 'k').recipients).toEqual([]);
  });
});
