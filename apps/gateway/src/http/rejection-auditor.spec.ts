import { describe, expect, it } from '@jest/globals';
import { AuditOperation } from '#contracts';
import { MAX_AUDITED_VIOLATIONS, rejectionEvent } from './rejection-auditor.js';

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
