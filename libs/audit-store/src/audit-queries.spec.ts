import { describe, expect, it } from '@jest/globals';
import {
  encodeCursor,
  MAX_PAGE_SIZE,
  parseFlowsQuery,
  parseOfficerActivityQuery,
  parseTrailQuery,
} from './audit-queries.js';

const invalid = (message: RegExp) =>
  expect.objectContaining({ code: 'AUDIT.QUERY_INVALID', message: expect.stringMatching(message) });

describe('validation of auditors’ queries', () => {
  it('accepts a trail query, lower-casing the message id and defaulting the page size', () => {
    expect(parseTrailQuery({ messageId: '0193A1B2-0000-7000-8000-00000000000A' })).toEqual({
      messageId: '0193a1b2-0000-7000-8000-00000000000a',
      cursor: undefined,
      limit: 100,
    });
  });

  it('names every bad field of a query in one error', () => {
    expect(() => parseTrailQuery({ messageId: 'x', limit: MAX_PAGE_SIZE + 1 })).toThrow(
      invalid(/messageId: must be a message id.*limit: must be an integer from 1 to 1000/),
    );
    expect(() => parseFlowsQuery({ from: 'CP IT', to: 'jot-mare', since: 'yesterday' })).toThrow(
      invalid(/from: must be a node id.*since: must be an RFC 3339 time.*until: is required/),
    );
  });

  it('refuses a period that ends before it starts', () => {
    expect(() =>
      parseFlowsQuery({
        from: 'cp-it',
        to: 'jot-mare',
        since: '2026-11-02T00:00:00Z',
        until: '2026-11-01T00:00:00Z',
      }),
    ).toThrow(invalid(/until: must be after since/));
  });

  it('accepts a limit given as text (a URL query parameter)', () => {
    expect(parseOfficerActivityQuery({ officer: 'emlo-ne.officer-17', limit: '25' }).limit).toBe(25);
  });

  it('refuses a cursor of another query, or one that was tampered with', () => {
    const trailCursor = encodeCursor({ q: 'trail', seq: '42' });
    expect(
      parseTrailQuery({ messageId: '0193a1b2-0000-7000-8000-000000000001', cursor: trailCursor }).cursor,
    ).toEqual({
      q: 'trail',
      seq: '42',
    });
    expect(() => parseOfficerActivityQuery({ officer: 'emlo-ne.officer-17', cursor: trailCursor })).toThrow(
      invalid(/cursor: is not a cursor of this activity query/),
    );
    const forged = encodeCursor({ q: 'trail', seq: '1; DROP TABLE audit_entry' } as never);
    expect(() =>
      parseTrailQuery({ messageId: '0193a1b2-0000-7000-8000-000000000001', cursor: forged }),
    ).toThrow(invalid(/cursor/));
    expect(() =>
      parseTrailQuery({ messageId: '0193a1b2-0000-7000-8000-000000000001', cursor: '!!' }),
    ).toThrow(invalid(/cursor/));
  });

  it('refuses a query that is not an object', () => {
    expect(() => parseTrailQuery(null)).toThrow(invalid(/must be a JSON object/));
  });
});
