import { databaseSpec, int, loadConfig, logSpec, natsSpec, opsSpec, str } from '#config';

/** How the audit service signs checkpoints over its hash chain (DESIGN §5). */
export const checkpointSpec = {
  /**
   * Ed25519 private key (PEM, PKCS#8, mode 0600) that signs checkpoints. When empty (local runs), the key in
   * `.msx/audit-signing-key.pem` is used, made on first start; only its fingerprint is logged.
   */
  MSX_AUDIT_SIGNING_KEY_FILE: str(''),
  /** A checkpoint is signed after this many new rows… */
  MSX_AUDIT_CHECKPOINT_ROWS: int(1_000, 1, 10_000_000),
  /** …or this many milliseconds after the last one, whichever comes first (only when rows were added). */
  MSX_AUDIT_CHECKPOINT_INTERVAL_MS: int(10_000, 100, 86_400_000),
  /** Name of this trail in its checkpoints and in the witnesses' files; default: the database schema. */
  MSX_AUDIT_LOG_ID: str(''),
};

/**
 * How the audit service retries an audit message it could not record. An unavailable database is a hold:
 * retried without limit and never given up on, whatever these say; they bound other failures.
 */
export const retrySpec = {
  /** First redelivery delay in milliseconds; doubles with each delivery… */
  MSX_AUDIT_RETRY_DELAY_MS: int(1_000, 1, 60_000),
  /** …up to this many milliseconds. */
  MSX_AUDIT_MAX_RETRY_DELAY_MS: int(30_000, 1, 600_000),
  /** Failed deliveries (holds not counted) after which a message goes to the dead-letter stream. */
  MSX_AUDIT_MAX_DELIVER: int(20, 1, 10_000),
};

export const loadAuditConfig = () =>
  loadConfig({ ...natsSpec, ...logSpec, ...databaseSpec, ...checkpointSpec, ...retrySpec, ...opsSpec });
export type AuditConfig = ReturnType<typeof loadAuditConfig>;

/**
 * What the audit module is built from: the audit configuration, where the retry and operations settings may
 * be left out.
 */
export type AuditModuleConfig = Omit<AuditConfig, keyof typeof retrySpec | keyof typeof opsSpec> &
  Partial<Pick<AuditConfig, keyof typeof retrySpec | keyof typeof opsSpec>>;

/** Where a local run keeps the signing key it made. */
export const LOCAL_SIGNING_KEY_FILE = '.msx/audit-signing-key.pem';
