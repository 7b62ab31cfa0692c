import { hash } from 'node:crypto';
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

/**
 * Characters for which `JSON.stringify` of a string is more than the string in quotes: the quote, the
 * backslash, control characters and surrogates (a lone one is escaped as `\uXXXX`).
 */
// eslint-disable-next-line no-control-regex -- the control characters are what JSON.stringify escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(s)`, without its cost for the plain strings that make up nearly every row. */
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** JSON with object keys sorted at every level and no whitespace: one text per value. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return jsonString(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  let out = '';
  for (const k of Object.keys(obj).sort()) {
    if (obj[k] === undefined) continue;
    out += `${out === '' ? '' : ','}${jsonString(k)}:${canonicalJson(obj[k])}`;
  }
  return `{${out}}`;
}

/** The fields of {@link ChainedFields} in hashed order, after `prev_hash` and before `publisher` (see {@link AUDIT_ROW_FORMAT}). */
export const HASHED_FIELDS = [
  'seq',
  'eventId',
  'occurredAtUs',
  'recordedAtUs',
  'operation',
  'actorNode',
  'actorPerson',
  'counterpartNode',
  'messageId',
  'messageType',
  'handlingCode',
  'tlp',
  'messageSha256',
  'rule',
  'justification',
  'correlationId',
  'detail',
] as const satisfies readonly Exclude<keyof ChainedFields, 'publisher'>[];

/**
 * The canonical serialization of a row, including the hash of the row before it: format v2 when the row has a
 * publisher, v1 when not. The same text as `JSON.stringify` of the array, written directly: the verifier makes
 * one per stored row.
 */
export function canonicalAuditRow(prevHash: string, f: ChainedFields): string {
  let out = `[${jsonString(f.publisher === null ? AUDIT_ROW_FORMAT_V1 : AUDIT_ROW_FORMAT)},${jsonString(prevHash)}`;
  for (const field of HASHED_FIELDS) {
    const v = f[field];
    out += v === null ? ',null' : `,${jsonString(v)}`;
  }
  return f.publisher === null ? `${out}]` : `${out},${jsonString(f.publisher)}]`;
}

/** `row_hash` of a row: hex SHA-256 of its canonical serialization. */
export function auditRowHash(prevHash: string, f: ChainedFields): string {
  return hash('sha256', canonicalAuditRow(prevHash, f), 'hex');
}

/** Microseconds since the epoch, decimal, of a time in milliseconds. */
export function msToUs(ms: number): string {
  return (BigInt(ms) * 1000n).toString();
}
