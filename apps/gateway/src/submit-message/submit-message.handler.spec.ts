import { describe, expect, it } from '@jest/globals';
import { completeEnvelopeJson } from './submit-message.handler.js';

describe('completeEnvelopeJson', () => {
  it('sets the sender from the token, and an id and creation time when absent', () => {
    const out = completeEnvelopeJson({ author: 'emlo-ne.officer-17' }, 'emlo-ne', Date.UTC(2026, 10, 28, 12));
    expect(out.sender).toBe('emlo-ne');
    expect(out.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(out.createdAt).toBe('2026-11-28T12:00:00.000Z');
  });

  it("keeps the officer's own id and creation time (reports written offline)", () => {
    const out = completeEnvelopeJson(
      { id: '0193a1b2-0000-7000-8000-000000000001', createdAt: '2026-11-27T08:00:00Z', sender: 'emlo-ne' },
      'emlo-ne',
      0,
    );
    expect(out).toMatchObject({
      id: '0193a1b2-0000-7000-8000-000000000001',
      createdAt: '2026-11-27T08:00:00Z',
    });
  });

  it('lower-cases an officer-chosen id, so a resubmission in other case is still recognised', () => {
    const out = completeEnvelopeJson({ id: '0193A1B2-0000-7000-8000-00000000000A' }, 'emlo-ne', 0);
    expect(out.id).toBe('0193a1b2-0000-7000-8000-00000000000a');
  });

  it('refuses a sender other than the authenticated node', () => {
    expect(() => completeEnvelopeJson({ sender: 'cp-it' }, 'emlo-ne', 0)).toThrow(
      expect.objectContaining({ code: 'GATEWAY.SENDER_MISMATCH' }),
    );
  });

  it.each(['cp-it.officer-9', 'edps.auditor-1', 'msx-router', 'eml\u043E-ne.officer-1', 'Mario Rossi'])(
    'refuses an author who is not an officer of the node: %j',
    (author) => {
      expect(() => completeEnvelopeJson({ author }, 'emlo-ne', 0)).toThrow(
        expect.objectContaining({
          code: 'GATEWAY.OFFICER_NOT_OF_NODE',
          violations: [expect.objectContaining({ field: 'author', rule: 'officerNotOfNode' })],
        }),
      );
    },
  );

  it('leaves a missing or non-text author to the contract check', () => {
    for (const author of [undefined, '', 17]) {
      expect(completeEnvelopeJson({ author }, 'emlo-ne', 0).author).toBe(author);
    }
  });

  it('refuses a body that is not a JSON object', () => {
    for (const body of [null, [], 'text', 42]) {
      expect(() => completeEnvelopeJson(body, 'emlo-ne', 0)).toThrow(
        expect.objectContaining({
          code: 'CONTRACT.INVALID',
          violations: [expect.objectContaining({ rule: 'jsonObject' })],
        }),
      );
    }
  });
});
