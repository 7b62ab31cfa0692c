import {
  countAuditRows,
  csvLine,
  EXPORT_COLUMNS,
  exportAuditRows,
  isTransientStorageError,
  jsonLine,
  classifyStorageError,
  type AuditRepository,
} from '#audit-store';
import { MsxError, timestampMillis, type ExportFormat, type ExportPage } from '#contracts';

/** How much one export may hold, and how it is cut into pages. */
export interface ExportPagesOptions {
  db: { url: string; schema: string };
  /** Rows one export may hold: a period holding more is refused, to be exported in shorter periods. */
  maxRows: number;
  /** Rows per page at most. */
  pageRows: number;
  /** Characters of text per page at most (a page always holds at least one row), well below NATS's 1 MB. */
  pageChars: number;
}

/** Defaults: at most 100,000 rows per export, in pages of at most 500 rows or 256 KiB of text. */
export const DEFAULT_EXPORT_PAGES_OPTIONS = {
  maxRows: 100_000,
  pageRows: 500,
  pageChars: 256 * 1024,
} as const;

/** Where an export stands: after which seq it goes on, up to which seq it reads, and how many rows it holds. */
interface ExportCursor {
  q: 'export';
  after: string;
  through: string;
  total: number;
}

const SEQ = /^[0-9]{1,19}$/;
const MAX_CURSOR_LENGTH = 256;

function problem(detail: string): MsxError {
  return new MsxError('AUDIT.QUERY_INVALID', `invalid export query: ${detail}`);
}

/** An RFC 3339 time to the millisecond (the trail keeps microseconds; the period's bounds are milliseconds). */
function timeOf(raw: unknown, field: string, problems: string[]): Date | undefined {
  if (raw === undefined || raw === null || raw === '') {
    problems.push(`${field}: is required (an RFC 3339 time, for example 2026-11-01T00:00:00Z)`);
    return undefined;
  }
  const seconds = timestampMillis(raw);
  if (seconds === undefined) {
    problems.push(`${field}: must be an RFC 3339 time with a time zone, for example 2026-11-01T00:00:00Z`);
    return undefined;
  }
  const exact = Date.parse(raw as string);
  return new Date(Number.isNaN(exact) ? seconds : exact);
}

function cursorOf(raw: unknown): ExportCursor | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const bad = () => problem('cursor: is not a cursor of this export; pass back nextCursor unchanged');
  if (typeof raw !== 'string' || raw.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(raw)) throw bad();
  let c: Partial<ExportCursor>;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<ExportCursor>;
  } catch {
    throw bad();
  }
  const valid =
    c?.q === 'export' &&
    typeof c.after === 'string' &&
    SEQ.test(c.after) &&
    typeof c.through === 'string' &&
    SEQ.test(c.through) &&
    Number.isSafeInteger(c.total) &&
    (c.total ?? -1) >= 0;
  if (!valid) throw bad();
  return c as ExportCursor;
}

/**
 * Validates an export query.
 * @throws MsxError `AUDIT.QUERY_INVALID` naming every bad field
 */
export function parseExportQuery(input: unknown): {
  since: Date;
  until: Date;
  format: ExportFormat;
  cursor?: ExportCursor;
} {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw problem('must be a JSON object');
  const q = input as Record<string, unknown>;
  const problems: string[] = [];
  const since = timeOf(q.since, 'since', problems);
  const until = timeOf(q.until, 'until', problems);
  if (since && until && since >= until) problems.push('until: must be after since');
  const format = q.format === undefined || q.format === '' ? 'jsonl' : q.format;
  if (format !== 'jsonl' && format !== 'csv') problems.push('format: must be jsonl or csv');
  if (problems.length > 0) throw problem(problems.join('; '));
  return { since: since!, until: until!, format: format as ExportFormat, cursor: cursorOf(q.cursor) };
}

/**
 * The rows recorded in a period, page by page, as the text of the export ({@link exportAuditRows},
 * {@link csvLine}, {@link jsonLine}, {@link EXPORT_COLUMNS}): the first page fixes the export to the rows
 * recorded when it was asked for (up to the head's seq then), counts them and refuses a period holding more
 * than {@link ExportPagesOptions.maxRows}; each page's cursor resumes after its last row.
 */
export class ExportPages {
  constructor(
    private readonly repository: AuditRepository,
    private readonly opts: ExportPagesOptions,
  ) {}

  /** @throws MsxError `AUDIT.QUERY_INVALID`, `AUDIT.STORE_UNAVAILABLE` */
  async page(input: unknown): Promise<ExportPage> {
    const q = parseExportQuery(input);
    try {
      return await this.read(q);
    } catch (err) {
      throw err instanceof MsxError || isTransientStorageError(err) ? classifyStorageError(err) : err;
    }
  }

  private async read(q: ReturnType<typeof parseExportQuery>): Promise<ExportPage> {
    const { db, maxRows, pageRows, pageChars } = this.opts;
    let cursor = q.cursor;
    let text = '';
    if (!cursor) {
      const through = (await this.repository.head()).treeSize.toString();
      const total = await countAuditRows(db, q.since, q.until, through);
      if (total > maxRows)
        throw problem(
          `until: the period holds ${total} rows, more than the ${maxRows} one export may hold; export shorter periods`,
        );
      cursor = { q: 'export', after: '0', through, total };
      if (q.format === 'csv') text = csvLine(EXPORT_COLUMNS);
    }
    const line = q.format === 'csv' ? csvLine : jsonLine;
    let rows = 0;
    let after = cursor.after;
    let more = false;
    const pages = exportAuditRows(db, q.since, q.until, pageRows, { after, through: cursor.through });
    // One page of the store is all this answer holds; leaving the loop closes the store's connection.
    for await (const page of pages) {
      for (const row of page) {
        const l = line(row);
        if (rows > 0 && text.length + l.length > pageChars) {
          more = true;
          break;
        }
        text += l;
        rows++;
        after = row[0]!;
      }
      more ||= page.length === pageRows;
      break;
    }
    const next: ExportCursor = { ...cursor, after };
    return {
      since: q.since.toISOString(),
      until: q.until.toISOString(),
      format: q.format,
      text,
      rows,
      total: cursor.total,
      nextCursor: more ? Buffer.from(JSON.stringify(next), 'utf8').toString('base64url') : null,
    };
  }
}
