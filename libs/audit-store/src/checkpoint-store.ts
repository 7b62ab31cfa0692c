import type { DataSource } from 'typeorm';
import { signCheckpoint, type CheckpointStatement } from '#contracts';
import { auditRoles } from './audit-roles.js';
import type { SqlRunner } from './chained-row.js';
import type { AuditSigningKey } from './signing-key.js';
import { classifyStorageError } from './storage-errors.js';

/** A checkpoint with its signature and the signer's public key, as stored and as published. */
export interface SignedCheckpoint extends CheckpointStatement {
  /** SPKI DER. */
  publicKey: Uint8Array;
  signature: Uint8Array;
}

/** Signs "the trail `logId` had `treeSize` rows with head `headHash`" now. */
export function signCheckpointAt(
  key: AuditSigningKey,
  logId: string,
  treeSize: bigint,
  headHash: string,
  nowMs = Date.now(),
): SignedCheckpoint {
  const statement: CheckpointStatement = { logId, treeSize, headHash, signedAtMs: nowMs, keyId: key.keyId };
  return { ...statement, publicKey: key.publicKeyDer, signature: signCheckpoint(statement, key.privateKey) };
}

interface CheckpointRow {
  size: string;
  head_hash: string;
  signed_at_ms: string;
  log_id: string;
  key_id: string;
  public_key: string;
  signature: string;
}

const SELECT = `SELECT tree_size::text AS size, head_hash,
  (extract(epoch FROM signed_at) * 1000)::int8::text AS signed_at_ms, log_id, key_id, public_key, signature`;

function fromRow(r: CheckpointRow): SignedCheckpoint {
  return {
    logId: r.log_id,
    treeSize: BigInt(r.size),
    headHash: r.head_hash.trim(),
    signedAtMs: Number(r.signed_at_ms),
    keyId: r.key_id,
    publicKey: new Uint8Array(Buffer.from(r.public_key, 'base64')),
    signature: new Uint8Array(Buffer.from(r.signature, 'base64')),
  };
}

/** The `audit_checkpoint` table: signed checkpoints are only ever added. */
export class AuditCheckpointStore {
  private readonly schema: string;

  constructor(private readonly ds: DataSource) {
    this.schema = (ds.options as { schema?: string }).schema ?? 'public';
  }

  /**
   * Stores a checkpoint as the writer role; a second checkpoint at the same size is ignored.
   * @returns true when it was new
   */
  async save(c: SignedCheckpoint): Promise<boolean> {
    try {
      return await this.ds.transaction(async (m) => {
        await m.query(`SET LOCAL ROLE "${auditRoles(this.schema).writer}"`);
        return this.saveIn(m, c);
      });
    } catch (err) {
      throw classifyStorageError(err);
    }
  }

  /** {@link save} inside the caller's transaction. */
  async saveIn(runner: SqlRunner, c: SignedCheckpoint): Promise<boolean> {
    const rows = (await runner.query(
      `INSERT INTO "${this.schema}"."audit_checkpoint"
         (tree_size, head_hash, signed_at, log_id, key_id, public_key, signature)
       VALUES ($1, $2, 'epoch'::timestamptz + $3::int8 * interval '1 millisecond', $4, $5, $6, $7)
       ON CONFLICT (tree_size) DO NOTHING RETURNING tree_size`,
      [
        c.treeSize.toString(),
        c.headHash,
        c.signedAtMs,
        c.logId,
        c.keyId,
        Buffer.from(c.publicKey).toString('base64'),
        Buffer.from(c.signature).toString('base64'),
      ],
    )) as unknown[];
    return rows.length === 1;
  }

  /** The checkpoint with the largest tree size, if any. */
  async latest(): Promise<SignedCheckpoint | undefined> {
    const rows = await this.ds.query<CheckpointRow[]>(
      `${SELECT} FROM "${this.schema}"."audit_checkpoint" ORDER BY audit_checkpoint.tree_size DESC LIMIT 1`,
    );
    return rows[0] && fromRow(rows[0]);
  }

  /** The stored checkpoints whose tree size lies in `from…to` (both inclusive), by tree size. */
  async between(from: bigint, to: bigint): Promise<SignedCheckpoint[]> {
    const rows = await this.ds.query<CheckpointRow[]>(
      `${SELECT} FROM "${this.schema}"."audit_checkpoint"
        WHERE tree_size BETWEEN $1::int8 AND $2::int8 ORDER BY audit_checkpoint.tree_size`,
      [from.toString(), to.toString()],
    );
    return rows.map(fromRow);
  }

  /** Every stored checkpoint, by tree size. */
  async all(): Promise<SignedCheckpoint[]> {
    const rows = await this.ds.query<CheckpointRow[]>(
      `${SELECT} FROM "${this.schema}"."audit_checkpoint" ORDER BY audit_checkpoint.tree_size`,
    );
    return rows.map(fromRow);
  }
}
