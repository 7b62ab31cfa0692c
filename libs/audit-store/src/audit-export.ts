import pg from 'pg';
import { AUDIT_COLUMNS, AUDIT_FIELDS, exactText, HASH_COLUMNS } from './audit-columns.js';
import { usToIso } from './chained-row.js';

/**
 * The columns of an exported row, in order (CSV header and JSON keys): the row's ({@link AUDIT_COLUMNS}), then
 * the chain's. `publisher`, with `event_id`, identifies the event; it is empty for rows stored before it was
 * recorded.
 */
export const EXPORT_COLUMNS: readonly string[] = [
  ...AUDIT_FIELDS.map((f) => AUDIT_COLUMNS[f].name),
  ...HASH_COLUMNS,
];

/** Every exported column as exact text, in {@link EXPORT_COLUMNS} order. */
const EXPORT_SELECT = [...AUDIT_FIELDS.map(exactText), ...HASH_COLUMNS].join(', ');

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

/** Which seqs an export takes: after `after` (exclusive) and up to `through` (inclusive), when given. */
export interface ExportSeqRange {
  after?: string;
  through?: string;
}

/**
 * Streams the rows recorded in [from, to) in trail order, in keyset pages (partition pruning on
 * `recorded_at`), so memory stays flat whatever the period; `range` resumes an export after a row, and holds
 * it to the rows that existed when it began.
 */
export async function* exportAuditRows(
  db: { url: string; schema: string },
  from: Date,
  to: Date,
  pageSize = 10_000,
  range: ExportSeqRange = {},
): AsyncGenerator<ExportRow[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    let after = range.after ?? '0';
    const through = range.through === undefined ? '' : 'AND seq <= $4::int8';
    for (;;) {
      const { rows } = await client.query<(string | null)[]>({
        text: `SELECT ${EXPORT_SELECT}
               FROM "${db.schema}"."audit_entry"
              WHERE recorded_at >= $1 AND recorded_at < $2 AND seq > $3::int8 ${through}
              ORDER BY seq LIMIT ${pageSize}`,
        values: [
          from.toISOString(),
          to.toISOString(),
          after,
          ...(range.through === undefined ? [] : [range.through]),
        ],
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

/** How many rows were recorded in [from, to) (for the progress bar), up to seq `through` when given. */
export async function countAuditRows(
  db: { url: string; schema: string },
  from: Date,
  to: Date,
  through?: string,
): Promise<number> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM "${db.schema}"."audit_entry" WHERE recorded_at >= $1 AND recorded_at < $2` +
        (through === undefined ? '' : ' AND seq <= $3::int8'),
      [from.toISOString(), to.toISOString(), ...(through === undefined ? [] : [through])],
    );
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}
