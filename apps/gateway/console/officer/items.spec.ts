import { describe, expect, it } from '@jest/globals';
import type { InboxEntry, Whoami } from '../api.js';
import { receiptDecisions, routeSummary, showItem, title } from './items.js';

const ME: Whoami = { person: 'cp-it.officer-5', node: 'cp-it', role: 'officer', expiresAt: null };
const at = { seq: 7, deliveredAt: '2026-11-20T10:00:00Z', sha256: 'ab' };
const vouched = (envelope: Record<string, unknown>): InboxEntry => ({ ...at, vouched: true, envelope });

describe('showItem', () => {
  it("lets a recipient acknowledge another party's report, or ask to share it on", () => {
    const shown = showItem(vouched({ id: 'm1', sender: 'emlo-ne', routeReport: {} }), ME);
    expect(shown).toMatchObject({ type: 'routeReport', target: 'm1', actions: 'recipient' });
  });

  it('lets the originator recall from the receipt of its report: the report, not the receipt', () => {
    const receipt = vouched({
      id: 'r1',
      sender: 'msx-router',
      deliveryReceipt: { messageId: 'm2', decisions: [] },
    });
    expect(showItem(receipt, ME)).toMatchObject({
      type: 'deliveryReceipt',
      target: 'm2',
      actions: 'originator',
    });
    expect(showItem(vouched({ id: 'm3', sender: 'cp-it', vesselAlert: {} }), ME).actions).toBe('originator');
  });

  it('offers nothing on a control message, nor on a copy the router did not vouch for', () => {
    expect(showItem(vouched({ id: 'a1', sender: 'emlo-ne', acknowledgement: {} }), ME).actions).toBe('none');
    const refused: InboxEntry = {
      ...at,
      vouched: false,
      refusal: { code: 'DELIVERY.UNSIGNED', reason: 'no voucher' },
    };
    expect(showItem(refused, ME)).toMatchObject({ envelope: null, actions: 'none', target: undefined });
  });
});

describe('what an item says', () => {
  it('names a type in words', () => {
    expect(title('suspectVesselReport')).toBe('Suspect vessel report');
  });

  it('sums up the legs of a route', () => {
    const legs = [
      { fromPlace: 'Agadez', fromCountry: 'NE', toPlace: 'Sabha', toCountry: 'LY' },
      { fromPlace: 'Sabha', fromCountry: 'LY', toPlace: 'Zuwara', toCountry: 'LY' },
    ];
    expect(routeSummary({ routeReport: { segments: legs } })).toBe('Agadez (NE) → Sabha (LY) → Zuwara (LY)');
    expect(routeSummary({ financialLead: {} })).toBeUndefined();
  });

  it('sorts the decisions of a receipt into delivered and withheld', () => {
    expect(
      receiptDecisions({
        deliveryReceipt: {
          decisions: [
            { recipient: 'cp-it', outcome: 'DECISION_OUTCOME_DELIVERED', rule: 'POLICY.ALLOWED' },
            { recipient: 'afic-partner-ne', outcome: 'DECISION_OUTCOME_WITHHELD', rule: 'POLICY.X' },
          ],
        },
      }),
    ).toEqual({
      delivered: ['cp-it'],
      withheld: [{ recipient: 'afic-partner-ne', outcome: 'DECISION_OUTCOME_WITHHELD', rule: 'POLICY.X' }],
    });
  });
});
