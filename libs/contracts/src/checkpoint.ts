import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { AuditCheckpointSchema, type AuditCheckpoint } from './gen/msx/v1/audit_pb.js';
import { ContractViolationError } from './errors.js';

/**
 * What an audit checkpoint states, independent of its wire form: the trail `logId` held `treeSize` rows and
 * row `treeSize` had row hash `headHash`, signed at `signedAtMs` with the key `keyId`.
 */
export interface CheckpointStatement {
  logId: string;
  treeSize: bigint;
  /** Hex SHA-256, lowercase. */
  headHash: string;
  /** Milliseconds since the epoch. */
  signedAtMs: number;
  keyId: string;
}

/**
 * The exact text an Ed25519 checkpoint signature covers (UTF-8), one field per line:
 * `msx-audit-checkpoint/v1`, log id, tree size (decimal), head hash (hex), signed-at (ms, decimal), key id.
 */
export function checkpointSignedText(c: CheckpointStatement): string {
  return `msx-audit-checkpoint/v1\n${c.logId}\n${c.treeSize}\n${c.headHash}\n${c.signedAtMs}\n${c.keyId}\n`;
}

/** The fingerprint of a public key: hex of the first 16 bytes of SHA-256 over its SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject | Uint8Array): string {
  const der = publicKey instanceof Uint8Array ? publicKey : publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 32);
}

/** SPKI DER of a public key. */
export function publicKeyDer(publicKey: KeyObject): Uint8Array {
  return new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
}

/** Signs a checkpoint statement with an Ed25519 private key. */
export function signCheckpoint(c: CheckpointStatement, privateKey: KeyObject): Uint8Array {
  return new Uint8Array(sign(null, Buffer.from(checkpointSignedText(c), 'utf8'), privateKey));
}

/**
 * True when `signature` is a valid Ed25519 signature of `c` by `publicKey` (SPKI DER) and `c.keyId` is that
 * key's fingerprint. False for a malformed key or signature.
 */
export function verifyCheckpointSignature(
  c: CheckpointStatement,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  try {
    if (keyIdOf(publicKey) !== c.keyId) return false;
    const key = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ed25519') return false;
    return verify(null, Buffer.from(checkpointSignedText(c), 'utf8'), key, signature);
  } catch {
    return false;
  }
}

/** The statement carried by a checkpoint message. */
export function checkpointStatementOf(m: AuditCheckpoint): CheckpointStatement {
  return {
    logId: m.logId,
    treeSize: m.treeSize,
    headHash: m.headHash,
    signedAtMs: m.signedAt ? timestampMs(m.signedAt) : 0,
    keyId: m.keyId,
  };
}

/** A checkpoint message for a statement, its signature and the signer's public key (SPKI DER). */
export function newAuditCheckpoint(
  c: CheckpointStatement,
  signature: Uint8Array,
  publicKey: Uint8Array,
): AuditCheckpoint {
  return create(AuditCheckpointSchema, {
    logId: c.logId,
    treeSize: c.treeSize,
    headHash: c.headHash,
    signedAt: timestampFromMs(c.signedAtMs),
    keyId: c.keyId,
    publicKey,
    signature,
  });
}

export function encodeAuditCheckpoint(m: AuditCheckpoint): Uint8Array {
  return toBinary(AuditCheckpointSchema, m);
}

/** @throws ContractViolationError with rule `protobufDecode` when the bytes are not an AuditCheckpoint */
export function decodeAuditCheckpoint(bytes: Uint8Array): AuditCheckpoint {
  try {
    return fromBinary(AuditCheckpointSchema, bytes);
  } catch (err) {
    throw new ContractViolationError([
      {
        field: '',
        rule: 'protobufDecode',
        message: `not a valid msx.v1.AuditCheckpoint: ${(err as Error).message}`,
      },
    ]);
  }
}

/** A signed checkpoint in plain data: what the audit store keeps and what a witness writes down. */
export interface SignedCheckpointRecord {
  logId: string;
  /** Decimal. */
  treeSize: string;
  headHash: string;
  signedAtMs: number;
  keyId: string;
  /** SPKI DER, base64. */
  publicKey: string;
  /** base64. */
  signature: string;
}

/** The JSON form of a checkpoint message (one line of a witness's file). */
export function checkpointRecordOf(m: AuditCheckpoint): SignedCheckpointRecord {
  const s = checkpointStatementOf(m);
  return {
    logId: s.logId,
    treeSize: s.treeSize.toString(),
    headHash: s.headHash,
    signedAtMs: s.signedAtMs,
    keyId: s.keyId,
    publicKey: Buffer.from(m.publicKey).toString('base64'),
    signature: Buffer.from(m.signature).toString('base64'),
  };
}
