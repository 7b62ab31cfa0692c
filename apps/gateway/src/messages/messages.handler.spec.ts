import { describe, expect, it } from '@jest/globals';
import type { AuditRecord } from '#contracts';
import { receiptsOf } from './messages.handler.js';
import { reportOf } from './reports.controller.js';

const ID = '0197634a-0000-7000-8000-000000000001';

const row = (over: Partial<AuditRecord>): AuditRecord => ({
  seq: '1',
  eventId: 'e',
  publisher: null,
  occurredAt: '2026-12-04T10:00:00.000000Z',
  recordedAt: '2026-12-04T10:00:00.000000Z',
  operation: 'delivered',
  actorNode: 'emlo-ne',
  actorPerson: null,
  counterpartNode: 'cp-it',
  messageId: ID,
  messageType: 'routeReport',
  handlingCode: null,
  tlp: null,
  messageSha256: null,
  rule: 'POLICY.ALLOWED',
  justification: null,
  detail: { reason: 'named recipient' },
  correlationId: null,
  ...over,
});

describe("an originator's receipts", () => {
  it('keep its routing decisions, the consented forwards and what was addressed to it, and nothing else', () => {
    const r = receiptsOf(ID, 'emlo-ne', [
      row({}),
      row({
        operation: 'withheld',
        counterpartNode: 'afic-partner-ne',
        rule: 'POLICY.X',
        detail: { reason: 'r' },
      }),
      row({ operation: 'forwarded', actorNode: 'cp-it', counterpartNode: 'cp-gr', messageId: 'fwd' }),
      // cp-it's forward withheld from cp-es: cp-it's attempt, not the originator's to see.
      row({ operation: 'withheld', actorNode: 'cp-it', counterpartNode: 'cp-es', messageId: 'fwd' }),
      row({ operation: 'consulted', actorNode: 'cp-it', counterpartNode: 'emlo-ne' }),
      row({ operation: 'received', actorNode: 'cp-it', counterpartNode: 'emlo-ne' }),
      row({
        actorNode: 'cp-it',
        counterpartNode: 'emlo-ne',
        messageId: 'ack',
        messageType: 'acknowledgement',
      }),
      row({ actorNode: 'cp-it', counterpartNode: 'emlo-ne', messageId: 'req', messageType: 'shareRequest' }),
      row({ actorNode: 'cp-gr', counterpartNode: 'emlo-ne', messageId: 'er', messageType: 'erasureReceipt' }),
      // An acknowledgement to someone else is not the originator's.
      row({ actorNode: 'cp-gr', counterpartNode: 'cp-it', messageId: 'x', messageType: 'acknowledgement' }),
    ]);
    expect(r.decisions.map((d) => [d.party, d.outcome, d.by])).toEqual([
      ['cp-it', 'delivered', 'emlo-ne'],
      ['afic-partner-ne', 'withheld', 'emlo-ne'],
      ['cp-gr', 'forwarded', 'cp-it'],
    ]);
    expect(r.decisions[1]).toMatchObject({ rule: 'POLICY.X', reason: 'r' });
    expect(r.acknowledgements).toEqual([{ party: 'cp-it', messageId: 'ack', at: expect.any(String) }]);
    expect(r.shareRequests.map((a) => a.messageId)).toEqual(['req']);
    expect(r.erasures.map((a) => a.party)).toEqual(['cp-gr']);
  });
});

describe("one type's endpoint", () => {
  it('takes the envelope carrying its payload', () => {
    const body = { routeReport: {} };
    expect(reportOf('route-report', body)).toBe(body);
  });

  it('names the missing payload and every other type it carries', () => {
    expect(() => reportOf('financial-lead', { routeReport: {} })).toThrow(
      expect.objectContaining({
        violations: [
          expect.objectContaining({ field: 'routeReport', rule: 'unknownProperty' }),
          expect.objectContaining({ field: 'financialLead', rule: 'required' }),
        ],
      }),
    );
  });

  it('knows the seven intelligence types and no other', () => {
    for (const p of [
      'route-report',
      'modus-operandi-report',
      'financial-lead',
      'suspect-vessel-report',
      'document-fraud-report',
      'internet-content-referral',
      'debriefing-report',
    ])
      expect(() => reportOf(p, 'x')).not.toThrow();
    expect(() => reportOf('vessel-alert', {})).toThrow(
      expect.objectContaining({ code: 'GATEWAY.NOT_FOUND' }),
    );
    expect(() => reportOf('recall', {})).toThrow(expect.objectContaining({ code: 'GATEWAY.NOT_FOUND' }));
  });
});
