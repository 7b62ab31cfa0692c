import { describe, expect, it } from '@jest/globals';
import { AuditOperation } from './gen/msx/v1/audit_pb.js';
import {
  decodeAuditEvent,
  decodeAuditEventBatch,
  encodeAuditEvent,
  encodeAuditEventBatch,
  newAuditEvent,
} from './codec.js';

describe('audit event codec', () => {
  const event = (id: string, op: AuditOperation) =>
    newAuditEvent({ eventId: id, operation: op, actorNode: 'emlo-ne', counterpartNode: 'cp-it' }, 0);

  it('carries several events of one operation in one message, in order', () => {
    const events = [
      event('0193a1b2-0000-5000-8000-000000000001', AuditOperation.SUBMITTED),
      event('0193a1b2-0000-5000-8000-000000000002', AuditOperation.DELIVERED),
    ];
    expect(decodeAuditEventBatch(encodeAuditEventBatch(events)).map((e) => [e.eventId, e.operation])).toEqual(
      [
        ['0193a1b2-0000-5000-8000-000000000001', AuditOperation.SUBMITTED],
        ['0193a1b2-0000-5000-8000-000000000002', AuditOperation.DELIVERED],
      ],
    );
  });

  it('refuses bytes that are no audit event, naming the rule', () => {
    const garbage = new Uint8Array([0xff, 0xff, 0xff]);
    expect(() => decodeAuditEvent(garbage)).toThrow(expect.objectContaining({ code: 'CONTRACT.INVALID' }));
    expect(() => decodeAuditEventBatch(garbage)).toThrow(
      expect.objectContaining({ code: 'CONTRACT.INVALID' }),
    );
    expect(
      decodeAuditEvent(
        encodeAuditEvent(event('0193a1b2-0000-5000-8000-000000000003', AuditOperation.RECEIVED)),
      ).operation,
    ).toBe(AuditOperation.RECEIVED);
  });
});
