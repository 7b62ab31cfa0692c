import { describe, expect, it } from '@jest/globals';
import { envelopeFromJson, envelopeToJson, HandlingCode, Tlp, validateEnvelopeJson } from '#contracts';
import { asJson, validFinancialLeadEnvelope } from '#testing';
import { acknowledgementFor } from './acknowledgement.js';

describe("a post's acknowledgement", () => {
  const item = envelopeFromJson(
    asJson(validFinancialLeadEnvelope({ sender: 'cp-it', recipients: ['emlo-ne'], tlp: 'TLP_AMBER' })),
  );
  const ack = acknowledgementFor('emlo-ne', 'key-1', item, Date.parse('2025-06-14T10:00:00Z'));

  it('goes to the originator alone, in the item’s thread, marked like the item, and passes the contract', () => {
    expect(ack.recipients).toEqual(['cp-it']);
    expect(ack.inReplyTo).toBe(item.id);
    expect(ack.threadId).toBe(item.threadId || item.id);
    expect([ack.handlingCode, ack.tlp]).toEqual([item.handlingCode, item.tlp]);
    expect([HandlingCode[ack.handlingCode], Tlp[ack.tlp]]).toEqual(['H2', 'AMBER']);
    expect(ack.payload).toMatchObject({ case: 'acknowledgement', value: { messageId: item.id } });
    expect(validateEnvelopeJson(envelopeToJson(ack))).toEqual([]);
  });

  it('is the same message when made again, and another for another node or item', () => {
    expect(acknowledgementFor('emlo-ne', 'key-1', item, Date.now()).id).toBe(ack.id);
    expect(acknowledgementFor('emlo-tr', 'key-1', item, Date.now()).id).not.toBe(ack.id);
    expect(acknowledgementFor('emlo-ne', 'key-2', item, Date.now()).id).not.toBe(ack.id);
  });
});
