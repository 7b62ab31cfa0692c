import { describe, expect, it } from '@jest/globals';
import { MsxError } from '#contracts';
import { fromRpcError } from './rpc-errors.js';

describe('fromRpcError', () => {
  it('keeps the code, text and retryability of an answer whose code is in the catalogue', () => {
    const err = fromRpcError({
      code: 'AUDIT.QUERY_INVALID',
      message: '"limit" must be 1 to 500',
      retryable: false,
    });
    expect(err).toBeInstanceOf(MsxError);
    expect([err.code, err.message, err.retryable]).toEqual([
      'AUDIT.QUERY_INVALID',
      '"limit" must be 1 to 500',
      false,
    ]);
    expect(fromRpcError({ code: 'AUDIT.UNAVAILABLE', message: 'away', retryable: true }).retryable).toBe(
      true,
    );
  });

  it('never passes on a code outside the catalogue, or an answer without one, as the caller’s fault', () => {
    for (const answer of [
      { code: 'GATEWAY.ANYTHING', message: 'made up by the answering side', retryable: false },
      { code: 'toString', message: 'an inherited name is no code', retryable: false },
      { message: 'no code at all' },
      'a bare string',
      undefined,
    ]) {
      const err = fromRpcError(answer);
      expect([err.code, err.message]).toEqual([
        'INTERNAL.UNEXPECTED',
        'the service answered with an unrecognised error',
      ]);
    }
  });
});
