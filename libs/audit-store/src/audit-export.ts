import pg from 'pg';
import { usToIso } from './chained-row.js';

/** The columns of an exported row, in order (CSV header and JSON keys). */
export const EXPORT_COLUMNS = [
  'seq',
  'event_id',
  // Who published the event; with event_id it identifies it. Empty for rows stored before it was recorded.
  'publisher',
  'occurred_at',
  'recorded_at',
  'operation',
  'actor_node',
  'actor_person',
  'counterpart_node',
  'message_id',
  'message_type',
  'handling_code',
  'tlp',
  'message_sha256',
  'rule',
  'justification',
  'correlation_id',
  'detail',
  'prev_hash',
  'row_hash',
] as const;

const OCCURRED_AT = EXPORT_COLUMNS.indexOf('occurred_at');
const RECORDED_AT = EXPORT_COLUMNS.indexOf('recorded_at');

/** One exported row: every column as text (times ISO 8601 UTC with microseconds, detail as JSON), or null. */
export type ExportRow = (string | null)[];

/** A CSV field (RFC 4180): quoted when it holds a quote, comma, CR or LF, or starts or ends with a space. */
export function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line, CRLF-terminated as RFC 4180 says. */
export function csvLine(values: readonly (string | null)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** One JSON Lines line; `detail` stays an object. */
export function jsonLine(row: ExportRow): string {
  const obj: Record<string, unknown> = {};
  EXPORT_COLUMNS.forEach((c, i) => {
    obj[c] = c === 'detail' && row[i] !== null ? (JSON.parse(row[i]) as unknown) : row[i];
  });
  return `${JSON.stringify(obj)}\n`;
}

/**
 * Streams the rows recorded in [from, to) in trail order, in keyset pages (partition pruning on
 * `recorded_at`), so memory stays flat whatever the period.
 */
export async function* exportAuditRows(
  db: { url: string; schema: string },
  from: Date,
  to: Date,
  pageSize = 10_000,
): AsyncGenerator<ExportRow[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    let after = '0';
    for (;;) {
      const { rows } = await client.query<(string | null)[]>({
        text: `SELECT seq::text AS seq_text, event_id::text AS event_id_text, publisher,
                 (extract(epoch FROM occurred_at) * 1000000)::int8::text AS occurred_us,
                 (extract(epoch FROM recorded_at) * 1000000)::int8::text AS recorded_us,
                 operation, actor_node, actor_person, counterpart_node, message_id, message_type,
                 handling_code, tlp, message_sha256, rule, justification, correlation_id, detail::text AS detail_text,
                 prev_hash, row_hash
               FROM "${db.schema}"."audit_entry"
              WHERE recorded_at >= $1 AND recorded_at < $2 AND seq > $3::int8
              ORDER BY seq LIMIT ${pageSize}`,
        values: [from.toISOString(), to.toISOString(), after],
        rowMode: 'array',
        types: { getTypeParser: () => (v: string) => v },
      });
      if (rows.length === 0) return;
      for (const r of rows) {
        r[OCCURRED_AT] = usToIso(r[OCCURRED_AT]!);
        r[RECORDED_AT] = usToIso(r[RECORDED_AT]!);
      }
      after = rows[rows.length - 1][0]!;
      yield rows;
      if (rows.length < pageSize) return;
    }
  } finally {
    await client.end();
  }
}

/** How many rows were recorded in [from, to) (for the progress bar). */
export async function countAuditRows(
  db: { url: string; schema: string },
  from: Date,
  to: Date,
): Promise<number> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM "${db.schema}"."audit_entry" WHERE recorded_at >= $1 AND recorded_at < $2`,
      [from.toISOString(), to.toISOString()],
    );
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}
