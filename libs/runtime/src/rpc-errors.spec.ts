import { describe, expect, it } from '@jest/globals';
import { MsxError, type ErrorCode } from '#contracts';
import { fromRpcError } from './rpc-errors.js';

/** What the caller expects the service to answer with. */
const EXPECTED: readonly ErrorCode[] = ['AUDIT.QUERY_INVALID', 'AUDIT.UNAVAILABLE'];
const UNRECOGNISED = ['INTERNAL.UNEXPECTED', 'the service answered with an unrecognised error'];

describe('fromRpcError', () => {
  it('keeps the code and text of an answer the caller expects from the service', () => {
    const err = fromRpcError({ code: 'AUDIT.QUERY_INVALID', message: '"limit" must be 1 to 500' }, EXPECTED);
    expect(err).toBeInstanceOf(MsxError);
    expect([err.code, err.message, err.retryable]).toEqual([
      'AUDIT.QUERY_INVALID',
      '"limit" must be 1 to 500',
      false,
    ]);
  });

  it('lets only an unavailable service say that the caller may retry', () => {
    expect(
      fromRpcError({ code: 'AUDIT.UNAVAILABLE', message: 'away', retryable: true }, EXPECTED).retryable,
    ).toBe(true);
    expect(
      fromRpcError({ code: 'AUDIT.QUERY_INVALID', message: 'bad', retryable: true }, EXPECTED).retryable,
    ).toBe(false);
  });

  it('never passes on a code outside the catalogue, one the caller does not expect, or no code, as the caller’s fault', () => {
    for (const answer of [
      { code: 'GATEWAY.ANYTHING', message: 'made up by the answering side', retryable: false },
      { code: 'toString', message: 'an inherited name is no code', retryable: false },
      // Catalogued, but the caller's own refusal: from the service it would blame the caller.
      { code: 'GATEWAY.FORBIDDEN', message: 'you may not', retryable: false },
      { code: 'INTERNAL.UNEXPECTED', message: 'stack trace of the service', retryable: true },
      { message: 'no code at all' },
      'a bare string',
      undefined,
    ]) {
      const err = fromRpcError(answer, EXPECTED);
      expect([err.code, err.message, err.retryable]).toEqual([...UNRECOGNISED, false]);
    }
  });
});
