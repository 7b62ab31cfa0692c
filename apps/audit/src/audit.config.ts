import { databaseSpec, int, loadConfig, logSpec, natsSpec, str } from '#config';

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

export const loadAuditConfig = () =>
  loadConfig({ ...natsSpec, ...logSpec, ...databaseSpec, ...checkpointSpec });
export type AuditConfig = ReturnType<typeof loadAuditConfig>;

/** Where a local run keeps the signing key it made. */
export const LOCAL_SIGNING_KEY_FILE = '.msx/audit-signing-key.pem';
