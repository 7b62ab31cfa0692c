import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A signed checkpoint over the chain (Ed25519): "the trail `logId` had `treeSize` rows and its last row hash
 * was `headHash` at `signedAt`". The same statements are published on the bus and kept by witnesses.
 */
@Entity({ name: 'audit_checkpoint' })
export class AuditCheckpointEntity {
  /** Rows 1…treeSize are covered. */
  @PrimaryColumn({
    type: 'bigint',
    name: 'tree_size',
    primaryKeyConstraintName: 'PK_audit_checkpoint_tree_size',
  })
  treeSize!: string;

  /** `row_hash` of row `treeSize` (hex). */
  @Column({ type: 'char', length: 64, name: 'head_hash' })
  headHash!: string;

  @Column({ type: 'timestamptz', name: 'signed_at' })
  signedAt!: Date;

  /** Which audit trail (a deployment may run several). */
  @Column({ type: 'text', name: 'log_id' })
  logId!: string;

  /** Fingerprint of the public key: the first 16 bytes of SHA-256 over its SPKI DER, hex. */
  @Column({ type: 'text', name: 'key_id' })
  keyId!: string;

  /** The signer's public key, SPKI DER in base64. */
  @Column({ type: 'text', name: 'public_key' })
  publicKey!: string;

  /** Ed25519 signature over the checkpoint's signed text, base64. */
  @Column({ type: 'text' })
  signature!: string;
}
