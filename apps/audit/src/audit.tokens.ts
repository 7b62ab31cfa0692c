/** Injection tokens of the audit app. */
export const AUDIT_DATA_SOURCE = Symbol('MSX_AUDIT_DATA_SOURCE');
export const AUDIT_REPOSITORY = Symbol('MSX_AUDIT_REPOSITORY');
export const AUDIT_CHECKPOINT_STORE = Symbol('MSX_AUDIT_CHECKPOINT_STORE');
/** The {@link AuditRetryPolicy} of the audit consumer. */
export const AUDIT_RETRY_POLICY = Symbol('MSX_AUDIT_RETRY_POLICY');
