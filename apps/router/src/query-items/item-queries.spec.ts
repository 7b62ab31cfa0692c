import { describe, expect, it } from '@jest/globals';
import { HandlingCode, Tlp } from '#contracts';
import type { LedgerItem } from '../ledger/ledger.js';
import { itemViewOf } from './item-queries.js';

const item = (over: Partial<LedgerItem> = {}): LedgerItem => ({
  messageId: '0197634a-0000-7000-8000-000000000001',
  originator: 'emlo-ne',
  type: 'routeReport',
  handlingCode: HandlingCode.H2,
  tlp: Tlp.AMBER,
  payloadSha256: 'ab'.repeat(32),
  recipients: ['cp-it', 'cp-gr'],
  copies: { 'cp-it': 7, 'cp-gr': 3 },
  ...over,
});

describe('where a party stands towards an item', () => {
  it('shows its originator every holder and no copy of its own', () => {
    expect(itemViewOf(item(), 'emlo-ne')).toEqual({
      found: true,
      messageId: item().messageId,
      type: 'routeReport',
      originator: 'emlo-ne',
      recalled: false,
      handlingCode: HandlingCode.H2,
      tlp: Tlp.AMBER,
      role: 'originator',
      recipients: ['cp-it', 'cp-gr'],
    });
  });

  it('shows a recipient where its own copy is, and not who else holds the item', () => {
    const view = itemViewOf(item(), 'cp-gr');
    expect(view).toMatchObject({ found: true, role: 'recipient', copySeq: 3 });
    expect(view).not.toHaveProperty('recipients');
  });

  it('tells a party that neither sent nor received it nothing, as for an item that does not exist', () => {
    expect(itemViewOf(item(), 'cp-es')).toEqual({ found: false });
    expect(itemViewOf(undefined, 'cp-es')).toEqual({ found: false });
  });

  it('shows no copy of a recalled item', () => {
    expect(itemViewOf(item({ recalled: true }), 'cp-it')).toEqual(
      expect.not.objectContaining({ copySeq: expect.anything() }),
    );
    expect(itemViewOf(item({ recalled: true }), 'cp-it')).toMatchObject({
      recalled: true,
      role: 'recipient',
    });
  });

  it('gives the originator a share request about this item only, and never a recipient', () => {
    const request = {
      requestId: '0197634a-0000-7000-8000-0000000000aa',
      messageId: item().messageId,
      requester: 'cp-it',
      proposedRecipients: ['cp-mt'],
    };
    expect(itemViewOf(item(), 'emlo-ne', request)).toMatchObject({
      request: { requestId: request.requestId, requester: 'cp-it', proposedRecipients: ['cp-mt'] },
    });
    expect(itemViewOf(item(), 'emlo-ne', { ...request, messageId: 'another' })).not.toHaveProperty('request');
    expect(itemViewOf(item(), 'cp-it', request)).not.toHaveProperty('request');
  });
});
