import { Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { ERROR_CODES, isErrorCode, MsxError, type ErrorCode } from '#contracts';

/** An error as it crosses a NATS request/reply hop: the stable code survives, `instanceof` does not. */
export interface RpcErrorBody {
  code: string;
  message: string;
  retryable: boolean;
}

const logger = new Logger('Rpc');

/**
 * Runs a request handler and turns its failure into an RpcException carrying the error's code, so the
 * caller can map it (HTTP status, retry). Unexpected errors are logged here and answered without internals.
 */
export async function answerRpc<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof MsxError) {
      throw new RpcException({ code: err.code, message: err.message, retryable: err.retryable });
    }
    logger.error(`${what} failed: ${(err as Error).stack ?? String(err)}`);
    throw new RpcException({
      code: 'INTERNAL.UNEXPECTED',
      message: `${what} failed unexpectedly`,
      retryable: false,
    } satisfies RpcErrorBody);
  }
}

/**
 * The MsxError a caller rethrows for an error answer of a request. Only the codes the caller expects from
 * that service pass; anything else, a code outside the catalogue or one the service has no business
 * answering with (a refusal that would blame the caller for someone else's failure), is
 * `INTERNAL.UNEXPECTED`. Only an `unavailable` code is ever retryable, whatever the answer says.
 */
export function fromRpcError(err: unknown, expected: readonly ErrorCode[]): MsxError {
  const e = err as Partial<RpcErrorBody> | undefined;
  if (e && isErrorCode(e.code) && expected.includes(e.code) && typeof e.message === 'string') {
    return new MsxError(e.code, e.message, {
      retryable: ERROR_CODES[e.code] === 'unavailable' && e.retryable === true,
    });
  }
  return new MsxError('INTERNAL.UNEXPECTED', 'the service answered with an unrecognised error', {
    cause: err,
  });
}
