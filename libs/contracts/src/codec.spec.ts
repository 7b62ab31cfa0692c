import { describe, expect, it } from '@jest/globals';
import { WireType } from '@bufbuild/protobuf/wire';
import { asJson, validRouteReportEnvelope } from '#testing';
import type { ContractViolationError } from './errors.js';
import { AuditOperation } from './gen/msx/v1/audit_pb.js';
import {
  decodeAuditStatus,
  encodeAuditStatus,
  newAuditStatus,
  timestampMs,
  decodeAuditEvent,
  decodeAuditEventBatch,
  encodeAuditEvent,
  encodeAuditEventBatch,
  newAuditEvent,
  decodeEnvelope,
  encodeEnvelope,
  envelopeFromJson,
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

describe('audit status codec', () => {
  it('carries whether the database is reachable, the last commit and when the status was taken', () => {
    const status = newAuditStatus({
      databaseReachable: true,
      lastCommitAtMs: 1_700_000_000_123,
      atMs: 1_700_000_001_000,
    });
    const back = decodeAuditStatus(encodeAuditStatus(status))!;
    expect([back.databaseReachable, timestampMs(back.lastCommitAt!), timestampMs(back.at!)]).toEqual([
      true,
      1_700_000_000_123,
      1_700_000_001_000,
    ]);
    expect(
      decodeAuditStatus(encodeAuditStatus(newAuditStatus({ databaseReachable: false, atMs: 1 })))
        ?.lastCommitAt,
    ).toBeUndefined();
  });

  it('reads nothing it could trust from bytes that are no status, or a status without its time', () => {
    const json = new TextEncoder().encode(
      JSON.stringify({ databaseReachable: true, lastCommitAt: null, at: 'now' }),
    );
    expect(decodeAuditStatus(json)).toBeUndefined();
    expect(decodeAuditStatus(new Uint8Array([0xff, 0xff, 0xff]))).toBeUndefined();
    // Field 1 (databaseReachable) = true, and no time: the empty message decodes, but is not a status.
    expect(decodeAuditStatus(new Uint8Array([0x08, 0x01]))).toBeUndefined();
    expect(decodeAuditStatus(new Uint8Array())).toBeUndefined();
  });
});

describe('envelope codec', () => {
  const report = () => envelopeFromJson(asJson(validRouteReportEnvelope()));
  /** Field 99, a varint 1: a field number msx.v1 does not define. */
  const stray = [{ no: 99, wireType: WireType.Varint, data: Uint8Array.of(1) }];
  const violations = (bytes: Uint8Array) => {
    try {
      decodeEnvelope(bytes);
      return [];
    } catch (err) {
      return (err as ContractViolationError).violations.map((v) => [v.field, v.rule, v.message]);
    }
  };

  it('decodes what it encodes', () => {
    const e = report();
    expect(decodeEnvelope(encodeEnvelope(e)).id).toBe(e.id);
  });

  it('refuses a field number the contract does not define, on the envelope or inside its payload, naming where', () => {
    const top = report();
    top.$unknown = stray;
    expect(violations(encodeEnvelope(top))).toEqual([
      ['', 'unknownProperty', 'the envelope carries field number 99, which the contract does not define'],
    ]);
    const inner = report();
    if (inner.payload.case !== 'routeReport') throw new Error('a route report');
    inner.payload.value.segments[0].$unknown = stray;
    expect(violations(encodeEnvelope(inner))).toEqual([
      [
        'routeReport.segments[0]',
        'unknownProperty',
        'routeReport.segments[0] carries field number 99, which the contract does not define',
      ],
    ]);
  });
});
