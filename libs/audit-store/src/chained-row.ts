import { auditRowHash, canonicalJson, type ChainedFields } from './audit-chain.js';
import { AUDIT_COLUMNS, exactText, fieldsOfFormat, HASH_COLUMNS, type AuditField } from './audit-columns.js';

/** A row ready to be inserted: its chained fields, the hash of the row before it, and its own hash. */
export interface ChainedRow {
  fields: ChainedFields;
  prevHash: string;
  rowHash: string;
}

/** Runs one parameterised statement (a TypeORM `QueryRunner`, `DataSource`, `EntityManager` or `pg` client adapter). */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * The chained columns every row has had since the chain began (format v1), as exact text ({@link exactText}),
 * in {@link ChainedFields} order. `publisher` is not among them: the chaining migration reads rows of a
 * table that never had it.
 */
export const CHAINED_FIELDS_SELECT = fieldsOfFormat('v1').map(exactText).join(', ');

/** {@link CHAINED_FIELDS_SELECT}, then `prev_hash`, `row_hash` and `publisher`. */
export const CHAINED_SELECT = [
  CHAINED_FIELDS_SELECT,
  ...HASH_COLUMNS,
  ...fieldsOfFormat('v2').map(exactText),
].join(', ');

/**
 * Reads one row selected with {@link CHAINED_SELECT} (row mode `array`, every value as text), or with
 * {@link CHAINED_FIELDS_SELECT} alone (then it has no publisher, and no hashes).
 */
export function chainedRowOf(cols: readonly (string | null)[]): ChainedRow {
  const s = (i: number) => cols[i] as string;
  return {
    fields: {
      seq: s(0),
      eventId: s(1),
      occurredAtUs: s(2),
      recordedAtUs: s(3),
      operation: s(4),
      actorNode: s(5),
      actorPerson: cols[6],
      counterpartNode: cols[7],
      messageId: cols[8],
      messageType: cols[9],
      handlingCode: cols[10],
      tlp: cols[11],
      messageSha256: cols[12],
      rule: cols[13],
      justification: cols[14],
      correlationId: cols[15],
      detail: canonicalJson(JSON.parse(s(16))),
      publisher: cols[19] ?? null,
    },
    prevHash: s(17)?.trim(),
    rowHash: s(18)?.trim(),
  };
}

/** Chains `fields` after the row whose hash is `prevHash`, in order; returns the rows with their hashes. */
export function chainRows(prevHash: string, fields: readonly ChainedFields[]): ChainedRow[] {
  const rows: ChainedRow[] = [];
  let prev = prevHash;
  for (const f of fields) {
    const rowHash = auditRowHash(prev, f);
    rows.push({ fields: f, prevHash: prev, rowHash });
    prev = rowHash;
  }
  return rows;
}

/** An exact ISO 8601 UTC time with microseconds, from decimal microseconds since the epoch. */
export function usToIso(us: string): string {
  // Every time since 1970 that a Number holds exactly in milliseconds: no BigInt (one per field per row).
  if (/^[0-9]{4,18}$/.test(us)) {
    const iso = new Date(Number(us.slice(0, -3))).toISOString(); // 2026-01-01T00:00:00.123Z
    return `${iso.slice(0, -1)}${us.slice(-3)}Z`;
  }
  const n = BigInt(us);
  const ms = n / 1000n - (n % 1000n < 0n ? 1n : 0n);
  const micros = Number(n - ms * 1000n);
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}

/** A field of a chained row as the chain writer inserts it: times as ISO 8601 text with microseconds. */
function insertedValue(f: ChainedFields, field: AuditField): string | null {
  if (field === 'occurredAt') return usToIso(f.occurredAtUs);
  if (field === 'recordedAt') return usToIso(f.recordedAtUs);
  return f[field];
}

/**
 * A PostgreSQL array literal of text values (`{"a","b\"c",NULL}`), as `pg` writes a JavaScript array
 * parameter: built with the rows, so that sending the statement costs no conversion.
 */
export function arrayLiteral(values: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`;
  }
  return `${out}}`;
}

/** The statement that inserts chained rows, with its parameters already in PostgreSQL's text form. */
export interface ChainedInsert {
  sql: string;
  params: string[];
}

/**
 * The insert of chained rows into `audit_entry` as one statement (`INSERT … SELECT FROM unnest(…)`), so a
 * batch costs one round trip whatever its size. When no row has a publisher (format v1 only, as in the
 * chaining migration, which runs before the `publisher` column exists) the format v2 columns are left out.
 */
export function chainedInsert(schema: string, rows: readonly ChainedRow[]): ChainedInsert {
  const withPublisher = rows.some((r) => r.fields.publisher !== null);
  const fields = withPublisher ? [...fieldsOfFormat('v1'), ...fieldsOfFormat('v2')] : fieldsOfFormat('v1');
  const columns = [...fields.map((f) => AUDIT_COLUMNS[f].name), ...HASH_COLUMNS];
  const arrays = [...fields.map((f) => AUDIT_COLUMNS[f].type), ...HASH_COLUMNS.map(() => 'text')].map(
    (type, i) => `$${i + 1}::${type}[]`,
  );
  return {
    sql: `INSERT INTO "${schema}"."audit_entry" (${columns.join(', ')}) SELECT * FROM unnest(${arrays.join(', ')})`,
    params: [
      ...fields.map((f) => arrayLiteral(rows.map((r) => insertedValue(r.fields, f)))),
      arrayLiteral(rows.map((r) => r.prevHash)),
      arrayLiteral(rows.map((r) => r.rowHash)),
    ],
  };
}

/** Inserts chained rows into `audit_entry` with one statement ({@link chainedInsert}). */
export async function insertChainedRows(
  runner: SqlRunner,
  schema: string,
  rows: readonly ChainedRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const { sql, params } = chainedInsert(schema, rows);
  await runner.query(sql, params);
}
