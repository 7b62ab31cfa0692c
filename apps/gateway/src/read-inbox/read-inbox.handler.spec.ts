import { describe, expect, it } from '@jest/globals';
import { checkInboxQuery } from './read-inbox.handler.js';

describe('checkInboxQuery', () => {
  it('accepts an officer of the node with default paging', () => {
    expect(checkInboxQuery('emlo-ne', 'emlo-ne.officer-17', undefined, undefined)).toEqual({
      officer: 'emlo-ne.officer-17',
      after: 0,
      limit: 20,
    });
  });

  it('asks for the officer when none is named', () => {
    for (const officer of [undefined, '']) {
      expect(() => checkInboxQuery('emlo-ne', officer, undefined, undefined)).toThrow(
        expect.objectContaining({ code: 'GATEWAY.INVALID_QUERY' }),
      );
    }
  });

  it("refuses an officer of anyone but the token's node with 403 before looking at paging", () => {
    for (const officer of [
      'cp-it.officer-9',
      'edps.auditor-1',
      'msx-router',
      'eml\u043E-ne.officer-1',
      'emlo ne',
    ]) {
      expect(() => checkInboxQuery('emlo-ne', officer, undefined, 'x')).toThrow(
        expect.objectContaining({
          code: 'GATEWAY.OFFICER_NOT_OF_NODE',
          violations: [expect.objectContaining({ field: 'x-msx-officer', rule: 'officerNotOfNode' })],
        }),
      );
    }
  });
});
