import { describe, expect, it } from '@jest/globals';
import { AuditOperation } from '#contracts';
import {
  MAX_AUDITED_VIOLATIONS,
  MAX_SUMMARISED_SOURCES,
  RefusalSummaries,
  rejectionEvent,
  type Rejection,
} from './rejection-auditor.js';

const PHONE = '+393331234567';
const PERSON = 'Mario Rossi';

describe('rejectionEvent', () => {
  it('records only the hash of the body, known field paths and catalogue rules, never caller text', () => {
    const body = Buffer.from(JSON.stringify({ [PHONE]: PERSON }));
    const event = rejectionEvent({
      node: 'emlo-ne',
      author: 'emlo-ne.officer-17',
      code: 'CONTRACT.INVALID',
      status: 400,
      correlationId: 'corr-1',
      body,
      violations: [
        { field: PHONE, rule: 'unknownProperty', message: `${PHONE} is ${PERSON}` },
        { field: `routeReport.segments[0].${PERSON}`, rule: 'isString', message: PERSON },
        {
          field: 'suspectVesselReport.imoNumber',
          rule: 'imoCheckDigit',
          message: `${PHONE} is not an IMO number`,
        },
        { field: 'id', rule: PERSON, message: '' },
      ],
      detail: { method: 'POST', path: '/v1/messages' },
    });
    expect(event).toMatchObject({
      operation: AuditOperation.REJECTED,
      actorNode: 'emlo-ne',
      actorPerson: 'emlo-ne.officer-17',
      rule: 'CONTRACT.INVALID',
      messageSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.parse(event.detailJson)).toEqual({
      status: 400,
      violations: [
        { field: '', rule: 'unknownProperty' },
        { field: 'routeReport.segments[0]', rule: 'unknownProperty' },
        { field: 'suspectVesselReport.imoNumber', rule: 'imoCheckDigit' },
        { field: 'id', rule: 'unnamedRule' },
      ],
      method: 'POST',
      path: '/v1/messages',
    });
    for (const secret of [PHONE, PERSON]) expect(JSON.stringify(event.detailJson)).not.toContain(secret);
  });

  it('records a bounded number of violations and counts the rest', () => {
    const violations = Array.from({ length: MAX_AUDITED_VIOLATIONS + 5 }, (_, i) => ({
      field: `recipients[${i}]`,
      rule: 'nodeId',
      message: '',
    }));
    const detail = JSON.parse(
      rejectionEvent({ code: 'CONTRACT.INVALID', status: 400, correlationId: 'c', violations }).detailJson,
    ) as { violations: unknown[]; violationsOmitted: number };
    expect(detail.violations).toHaveLength(MAX_AUDITED_VIOLATIONS);
    expect(detail.violationsOmitted).toBe(5);
  });

  it('names no person when the one given is not an officer id', () => {
    const event = rejectionEvent({ author: PERSON, code: 'X', status: 400, correlationId: 'c' });
    expect(event.actorPerson).toBe('');
  });
});

describe('RefusalSummaries', () => {
  const refusal = (code: string, address: string, path = '/v1/messages'): Rejection => ({
    code,
    status: code === 'GATEWAY.RATE_LIMITED' ? 429 : 401,
    correlationId: `c-${address}`,
    detail: { method: 'POST', path, address },
  });

  it('records the first refusal of credentials per source at once and the repeats as one summary per window', () => {
    let now = Date.parse('2026-12-04T12:00:00Z');
    const s = new RefusalSummaries(() => now);
    const recorded: Rejection[] = [];
    for (let i = 0; i < 500; i++) {
      now += 10;
      const r = s.admit(refusal('GATEWAY.UNAUTHENTICATED', i % 2 === 0 ? '10.0.0.1' : '10.0.0.2'));
      if (r) recorded.push(r);
    }
    expect(recorded.map((r) => r.detail?.address)).toEqual(['10.0.0.1', '10.0.0.2']);
    const summaries = s.endWindow();
    expect(summaries).toHaveLength(2);
    expect(summaries.map((r) => r.detail?.repeated)).toEqual([249, 249]);
    expect(summaries[0].detail).toMatchObject({
      address: '10.0.0.1',
      firstRepeatAt: '2026-12-04T12:00:00.030Z',
      lastRepeatAt: '2026-12-04T12:00:04.990Z',
    });
    expect(summaries[0].correlationId).not.toBe(recorded[0].correlationId);
    // A fresh window records the first again.
    expect(s.admit(refusal('GATEWAY.UNAUTHENTICATED', '10.0.0.1'))).toBeDefined();
    expect(s.endWindow()).toEqual([]);
  });

  it('records every other refusal as it comes', () => {
    const s = new RefusalSummaries();
    for (let i = 0; i < 5; i++) expect(s.admit(refusal('CONTRACT.INVALID', '10.0.0.1'))).toBeDefined();
    expect(s.endWindow()).toEqual([]);
  });

  it('keeps the rows of a window bounded however many addresses take part', () => {
    const s = new RefusalSummaries();
    let recorded = 0;
    for (let i = 0; i < 5 * MAX_SUMMARISED_SOURCES; i++)
      if (s.admit(refusal('GATEWAY.UNAUTHENTICATED', `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`)))
        recorded++;
    const summaries = s.endWindow();
    expect(recorded).toBe(MAX_SUMMARISED_SOURCES + 1);
    expect(summaries).toHaveLength(1);
    expect(summaries[0].detail).toMatchObject({ address: '*', repeated: 4 * MAX_SUMMARISED_SOURCES - 1 });
  });
});

describe('RefusalSummaries, refusals naming a credential', () => {
  const ofCredential = (path: string, address: string): Rejection => ({
    code: 'GATEWAY.UNAUTHENTICATED',
    status: 401,
    correlationId: 'c',
    detail: { method: 'GET', path, address, credential: 'cred-victim' },
  });

  it('are recorded on their own even when strangers have filled the window, and name no route or address they did not all share', () => {
    const s = new RefusalSummaries();
    for (let i = 0; i < 2 * MAX_SUMMARISED_SOURCES; i++)
      s.admit({
        code: 'GATEWAY.UNAUTHENTICATED',
        status: 401,
        correlationId: 'x',
        detail: { method: 'GET', path: '/v1/inbox', address: `10.1.${i >> 8}.${i & 255}` },
      });
    expect(s.admit(ofCredential('/v1/audit/flows', '10.9.9.9'))).toMatchObject({
      detail: { credential: 'cred-victim', path: '/v1/audit/flows', address: '10.9.9.9' },
    });
    s.admit(ofCredential('/v1/inbox', '10.9.9.8'));
    s.admit(ofCredential('/v1/audit/flows', '10.9.9.9'));
    const summary = s.endWindow().find((r) => r.detail?.credential === 'cred-victim');
    expect(summary?.detail).toMatchObject({
      repeated: 2,
      path: '*',
      address: '*',
      credential: 'cred-victim',
    });
  });

  it('name the route and address in the summary when every repeat shared them', () => {
    const s = new RefusalSummaries();
    for (let i = 0; i < 3; i++) s.admit(ofCredential('/v1/inbox', '10.9.9.9'));
    expect(s.endWindow()[0].detail).toMatchObject({ repeated: 2, path: '/v1/inbox', address: '10.9.9.9' });
  });

  it('share no route or credential of a stranger in the overflow summary', () => {
    const s = new RefusalSummaries();
    for (let i = 0; i <= MAX_SUMMARISED_SOURCES + 3; i++)
      s.admit({
        code: 'GATEWAY.RATE_LIMITED',
        status: 429,
        correlationId: `x${i}`,
        node: undefined,
        detail: { method: 'POST', path: '/v1/messages', address: `10.2.${i >> 8}.${i & 255}` },
      });
    const overflow = s.endWindow();
    expect(overflow).toHaveLength(1);
    expect(overflow[0].detail).toEqual(
      expect.objectContaining({ method: '*', path: '*', address: '*', repeated: 3 }),
    );
  });
});
