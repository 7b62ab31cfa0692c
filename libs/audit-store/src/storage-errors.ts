import { MsxError } from '#contracts';

/**
 * SQLSTATE classes and codes after which the same statement may succeed later. 25006 (a read-only
 * transaction): the database address leads to a standby not yet promoted, during a failover.
 */
const RETRYABLE_SQLSTATE = [/^08/, /^53/, /^57P0[123]$/, /^40001$/, /^40P01$/, /^55P03$/, /^25006$/];
/**
 * TypeORM errors that only follow a lost connection: when the connection drops inside a transaction, TypeORM
 * releases its query runner, and the rollback then fails with one of these instead of the original error.
 */
const RETRYABLE_TYPEORM_ERRORS = new Set([
  'QueryRunnerAlreadyReleasedError',
  'QueryRunnerProviderAlreadyReleasedError',
]);
const RETRYABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True for a PostgreSQL error after which the same statement may succeed later: connection loss,
 * serialization failure, deadlock, resource exhaustion, a standby that takes no writes (yet). Shared by every store on PostgreSQL (the audit store,
 * a node's holdings).
 */
export function isTransientStorageError(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code ?? '';
  const message = e.message ?? String(err);
  return (
    RETRYABLE_SQLSTATE.some((re) => re.test(code)) ||
    RETRYABLE_NODE_CODES.has(code) ||
    RETRYABLE_TYPEORM_ERRORS.has(e.name ?? '') ||
    /Connection terminated|connection timeout|not queryable|Client has encountered a connection error/i.test(
      message,
    )
  );
}

/**
 * Classifies a PostgreSQL error at the storage edge (STYLE §8): connection loss, serialization failure,
 * deadlock and resource exhaustion are `AUDIT.STORE_UNAVAILABLE`, a hold (retryable, and retried without limit:
 * the event is not at fault, so however long the database is away it is never given up on); anything else is
 * permanent (`AUDIT.STORE_REJECTED`).
 */
export function classifyStorageError(err: unknown): MsxError {
  if (err instanceof MsxError) return err;
  const message = (err as { message?: string }).message ?? String(err);
  return isTransientStorageError(err)
    ? new MsxError('AUDIT.STORE_UNAVAILABLE', `audit store unavailable: ${message}`, {
        cause: err,
        hold: true,
      })
    : new MsxError('AUDIT.STORE_REJECTED', `audit store rejected the write: ${message}`, { cause: err });
}
