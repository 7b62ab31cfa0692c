import { MsxError } from '#contracts';

/** SQLSTATE classes and codes after which the same statement may succeed later. */
const RETRYABLE_SQLSTATE = [/^08/, /^53/, /^57P0[123]$/, /^40001$/, /^40P01$/, /^55P03$/];
const RETRYABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Classifies a PostgreSQL error at the storage edge (STYLE §8): connection loss, serialization failure,
 * deadlock and resource exhaustion are retryable (`AUDIT.STORE_UNAVAILABLE`); anything else is permanent
 * (`AUDIT.STORE_REJECTED`).
 */
export function classifyStorageError(err: unknown): MsxError {
  if (err instanceof MsxError) return err;
  const e = err as { code?: string; message?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code ?? '';
  const message = e.message ?? String(err);
  const retryable =
    RETRYABLE_SQLSTATE.some((re) => re.test(code)) ||
    RETRYABLE_NODE_CODES.has(code) ||
    /Connection terminated|connection timeout|not queryable|Client has encountered a connection error/i.test(
      message,
    );
  return retryable
    ? new MsxError('AUDIT.STORE_UNAVAILABLE', `audit store unavailable: ${message}`, {
        cause: err,
        retryable: true,
      })
    : new MsxError('AUDIT.STORE_REJECTED', `audit store rejected the write: ${message}`, { cause: err });
}
