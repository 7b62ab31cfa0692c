import { auditRowHash, canonicalJson, type ChainedFields } from './audit-chain.js';

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
 * The chained columns every row has had since the chain began (format v1), as text, in {@link ChainedFields}
 * order. Timestamps come as exact microseconds (`extract(epoch …)` is numeric), the detail as jsonb text.
 * Aliases never reuse a column name, so `ORDER BY seq` beside it still orders by the number. `publisher`
 * is not among them: the chaining migration reads rows of a table that never had it.
 */
export const CHAINED_FIELDS_SELECT = `seq::text AS seq_text, event_id::text AS event_id_text,
  (extract(epoch FROM occurred_at) * 1000000)::int8::text AS occurred_at_us,
  (extract(epoch FROM recorded_at) * 1000000)::int8::text AS recorded_at_us,
  operation, actor_node, actor_person, counterpart_node, message_id, message_type, handling_code, tlp,
  message_sha256, rule, justification, correlation_id, detail::text AS detail_text`;

/** {@link CHAINED_FIELDS_SELECT}, then `prev_hash`, `row_hash` and `publisher`. */
export const CHAINED_SELECT = `${CHAINED_FIELDS_SELECT}, prev_hash, row_hash, publisher`;

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
  const n = BigInt(us);
  const ms = n / 1000n - (n % 1000n < 0n ? 1n : 0n);
  const micros = Number(n - ms * 1000n);
  const iso = new Date(Number(ms)).toISOString(); // 2026-01-01T00:00:00.123Z
  return `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}

/**
 * Inserts chained rows into `audit_entry` with one statement (`INSERT … SELECT FROM unnest(…)`), so a batch
 * costs one round trip whatever its size. When no row has a publisher (format v1 only, as in the chaining
 * migration, which runs before the `publisher` column exists) the column is left out.
 */
export async function insertChainedRows(
  runner: SqlRunner,
  schema: string,
  rows: readonly ChainedRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(pick: (r: ChainedRow) => T) => rows.map(pick);
  const withPublisher = rows.some((r) => r.fields.publisher !== null);
  await runner.query(
    `INSERT INTO "${schema}"."audit_entry" (seq, event_id, occurred_at, recorded_at, operation, actor_node,
       actor_person, counterpart_node, message_id, message_type, handling_code, tlp, message_sha256, rule,
       justification, correlation_id, detail, prev_hash, row_hash${withPublisher ? ', publisher' : ''})
     SELECT * FROM unnest($1::int8[], $2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[],
       $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
       $15::text[], $16::text[], $17::jsonb[], $18::text[], $19::text[]${withPublisher ? ', $20::text[]' : ''})`,
    [
      col((r) => r.fields.seq),
      col((r) => r.fields.eventId),
      col((r) => usToIso(r.fields.occurredAtUs)),
      col((r) => usToIso(r.fields.recordedAtUs)),
      col((r) => r.fields.operation),
      col((r) => r.fields.actorNode),
      col((r) => r.fields.actorPerson),
      col((r) => r.fields.counterpartNode),
      col((r) => r.fields.messageId),
      col((r) => r.fields.messageType),
      col((r) => r.fields.handlingCode),
      col((r) => r.fields.tlp),
      col((r) => r.fields.messageSha256),
      col((r) => r.fields.rule),
      col((r) => r.fields.justification),
      col((r) => r.fields.correlationId),
      col((r) => r.fields.detail),
      col((r) => r.prevHash),
      col((r) => r.rowHash),
      ...(withPublisher ? [col((r) => r.fields.publisher)] : []),
    ],
  );
}
