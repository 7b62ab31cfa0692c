import { describe, expect, it } from '@jest/globals';
import { newAuditStatus } from '#contracts';
import { auditRefusal, type AuditObservations } from './audit-gate.js';

const limits = { backlogLimit: 100, heartbeatTimeoutMs: 3_000 };
const status = (databaseReachable: boolean, receivedAtMs: number) => ({
  value: newAuditStatus({ databaseReachable, atMs: Date.parse('2026-11-29T00:00:00Z') }),
  receivedAtMs,
});
const healthy = (nowMs: number, backlog = 0): AuditObservations => ({
  status: status(true, nowMs - 500),
  backlog: { value: backlog, readAtMs: nowMs - 500 },
});

describe('when the audit gate refuses submissions', () => {
  it('accepts while the audit service is heard, its database reachable and the backlog within bounds', () => {
    expect(auditRefusal(healthy(10_000, 100), limits, 10_000)).toBeUndefined();
  });

  it('refuses before anything was heard from the audit service', () => {
    expect(auditRefusal({}, limits, 10_000)).toMatch(/no status/);
  });

  it('refuses when the heartbeat is older than the timeout', () => {
    const o = { ...healthy(10_000), status: status(true, 6_999) };
    expect(auditRefusal(o, limits, 10_000)).toMatch(/no heartbeat .* for 3001 ms/);
  });

  it('refuses when the audit service reports its database unreachable', () => {
    const o = { ...healthy(10_000), status: status(false, 9_900) };
    expect(auditRefusal(o, limits, 10_000)).toMatch(/database is unreachable/);
  });

  it('refuses when the backlog exceeds the limit, or is unknown or stale', () => {
    expect(auditRefusal(healthy(10_000, 101), limits, 10_000)).toMatch(/101 audit events .* limit of 100/);
    expect(auditRefusal({ status: status(true, 9_900) }, limits, 10_000)).toMatch(/backlog cannot be read/);
    const stale = { ...healthy(10_000), backlog: { value: 0, readAtMs: 6_000 } };
    expect(auditRefusal(stale, limits, 10_000)).toMatch(/backlog cannot be read/);
  });
});
