import { createHash } from 'node:crypto';
import type { AuditRecord } from '#contracts';

/**
 * The hash chain of the audit trail (DESIGN §5). Every row carries `prev_hash` (the `row_hash` of the row
 * before it, or {@link GENESIS_HASH} for seq 1) and
 *
 *     row_hash = hex(SHA-256(UTF-8(canonicalAuditRow(row))))
 *
 * where the canonical serialization is the JSON text (as `JSON.stringify` writes it: no spaces, `\uXXXX`
 * escapes in lowercase hex) of this array, every element a string or null:
 *
 *     ["msx-audit-row/v2", prev_hash, seq, event_id, occurred_at_us, recorded_at_us, operation,
 *      actor_node, actor_person, counterpart_node, message_id, message_type, handling_code, tlp,
 *      message_sha256, rule, justification, correlation_id, detail, publisher]
 *
 * `publisher` is the authenticated publisher of the event (the last token of its subject
 * `msx.audit.<publisher>`), which with `event_id` identifies it. Rows stored before publishers were recorded
 * have none (null) and keep format {@link AUDIT_ROW_FORMAT_V1}: the same array without `publisher`, tagged
 * `"msx-audit-row/v1"`. The tag is inside the hashed text, so a row cannot be passed off as the other format.
 *
 * - `seq` in decimal; `event_id` the lowercase UUID; timestamps as decimal microseconds since the epoch
 *   (PostgreSQL's own precision, so no stored digit escapes the hash);
 * - `detail` the canonical JSON of the stored object: keys sorted by UTF-16 code units at every level,
 *   no spaces, numbers as JavaScript writes them;
 * - absent optional columns are null, never "".
 *
 * Because `prev_hash` is inside the hashed text, changing, deleting, inserting or swapping any row breaks
 * every later link; only a signed checkpoint held by a witness can then tell a consistent rewrite apart.
 */
export const AUDIT_ROW_FORMAT = 'msx-audit-row/v2';

/** The format of rows without a publisher (stored before publishers were recorded). */
export const AUDIT_ROW_FORMAT_V1 = 'msx-audit-row/v1';

/** `prev_hash` of the first row of a trail. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The fields of a row as the chain hashes them (see {@link AUDIT_ROW_FORMAT}): those of an {@link AuditRecord}
 * (so of every column), with times as decimal microseconds since the epoch and the detail object in canonical
 * JSON ({@link canonicalJson}). `publisher` is null only for rows of format v1.
 */
export type ChainedFields = Omit<AuditRecord, 'occurredAt' | 'recordedAt' | 'detail'> & {
  occurredAtUs: string;
  recordedAtUs: string;
  detail: string;
};

/** JSON with object keys sorted at every level and no whitespace: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * The canonical serialization of a row, including the hash of the row before it: format v2 when the row has a
 * publisher, v1 when not.
 */
export function canonicalAuditRow(prevHash: string, f: ChainedFields): string {
  const common = [
    prevHash,
    f.seq,
    f.eventId,
    f.occurredAtUs,
    f.recordedAtUs,
    f.operation,
    f.actorNode,
    f.actorPerson,
    f.counterpartNode,
    f.messageId,
    f.messageType,
    f.handlingCode,
    f.tlp,
    f.messageSha256,
    f.rule,
    f.justification,
    f.correlationId,
    f.detail,
  ];
  return JSON.stringify(
    f.publisher === null ? [AUDIT_ROW_FORMAT_V1, ...common] : [AUDIT_ROW_FORMAT, ...common, f.publisher],
  );
}

/** `row_hash` of a row: hex SHA-256 of its canonical serialization. */
export function auditRowHash(prevHash: string, f: ChainedFields): string {
  return createHash('sha256').update(canonicalAuditRow(prevHash, f)).digest('hex');
}

/** Microseconds since the epoch, decimal, of a time in milliseconds. */
export function msToUs(ms: number): string {
  return (BigInt(ms) * 1000n).toString();
}
