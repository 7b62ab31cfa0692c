import type { DataSource } from 'typeorm';
import {
  isNodeId,
  isOfficerId,
  isUuid,
  MsxError,
  timestampMillis,
  type AuditRecord,
  type FlowCount,
  type FlowsPage,
  type FlowsQuery,
  type OfficerActivityQuery,
  type Page,
  type TrailQuery,
} from '#contracts';
import { AUDIT_COLUMNS, AUDIT_FIELDS } from './audit-columns.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { classifyStorageError } from './storage-errors.js';

export type { AuditRecord, FlowCount, FlowsPage, FlowsQuery, OfficerActivityQuery, Page, TrailQuery };

/** Rows or groups per page when the caller names no limit. */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest page a caller may ask for. */
export const MAX_PAGE_SIZE = 1_000;

/** Which query a cursor belongs to, and the key of the last item of its page. */
type Cursor =
  | { q: 'trail'; seq: string }
  | { q: 'activity'; at: string; seq: string }
  | { q: 'flows'; key: [string, string, string] };

const SEQ = /^[1-9][0-9]{0,18}$/;
const PG_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$/;
const MAX_CURSOR_LENGTH = 1_024;

/** Collects the problems of one query, so a single answer names every bad field. */
class Problems {
  readonly list: string[] = [];

  add(field: string, message: string): void {
    this.list.push(`${field}: ${message}`);
  }

  throwIfAny(query: string): void {
    if (this.list.length > 0) {
      throw new MsxError('AUDIT.QUERY_INVALID', `invalid ${query} query: ${this.list.join('; ')}`);
    }
  }
}

function record(input: unknown, query: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new MsxError('AUDIT.QUERY_INVALID', `invalid ${query} query: must be a JSON object`);
  }
  return input as Record<string, unknown>;
}

function limitOf(raw: unknown, p: Problems): number {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_PAGE_SIZE;
  const n = typeof raw === 'string' && /^[0-9]{1,7}$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    p.add('limit', `must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    return DEFAULT_PAGE_SIZE;
  }
  return n;
}

function timeOf(raw: unknown, field: string, p: Problems, required: boolean): number | undefined {
  if (raw === undefined || raw === null || raw === '') {
    if (required) p.add(field, 'is required (an RFC 3339 time, for example 2026-11-01T00:00:00Z)');
    return undefined;
  }
  const ms = timestampMillis(raw);
  if (ms === undefined)
    p.add(field, 'must be an RFC 3339 time with a time zone, for example 2026-11-01T00:00:00Z');
  return ms;
}

/** Encodes a cursor as opaque URL-safe text. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decodeCursor<Q extends Cursor['q']>(
  raw: unknown,
  q: Q,
  p: Problems,
): Extract<Cursor, { q: Q }> | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const bad = () => p.add('cursor', `is not a cursor of this ${q} query; pass back nextCursor unchanged`);
  if (typeof raw !== 'string' || raw.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(raw)) {
    bad();
    return undefined;
  }
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    bad();
    return undefined;
  }
  const valid =
    c?.q === q &&
    (q === 'trail'
      ? typeof c.seq === 'string' && SEQ.test(c.seq)
      : q === 'activity'
        ? typeof c.seq === 'string' && SEQ.test(c.seq) && typeof c.at === 'string' && PG_TIME.test(c.at)
        : Array.isArray(c.key) && c.key.length === 3 && c.key.every((k) => typeof k === 'string'));
  if (!valid) {
    bad();
    return undefined;
  }
  return c as Extract<Cursor, { q: Q }>;
}

/** Validates a trail query. @throws MsxError `AUDIT.QUERY_INVALID` naming every bad field */
export function parseTrailQuery(input: unknown) {
  const q = record(input, 'trail');
  const p = new Problems();
  if (!isUuid(q.messageId)) p.add('messageId', 'must be a message id (a UUID)');
  const parsed = {
    messageId: typeof q.messageId === 'string' ? q.messageId.toLowerCase() : '',
    cursor: decodeCursor(q.cursor, 'trail', p),
    limit: limitOf(q.limit, p),
  };
  p.throwIfAny('trail');
  return parsed;
}

/** Validates a flows query. @throws MsxError `AUDIT.QUERY_INVALID` naming every bad field */
export function parseFlowsQuery(input: unknown) {
  const q = record(input, 'flows');
  const p = new Problems();
  if (!isNodeId(q.from)) p.add('from', 'must be a node id, for example cp-it');
  if (!isNodeId(q.to)) p.add('to', 'must be a node id, for example jot-mare');
  const since = timeOf(q.since, 'since', p, true);
  const until = timeOf(q.until, 'until', p, true);
  if (since !== undefined && until !== undefined && since >= until) p.add('until', 'must be after since');
  const parsed = {
    from: q.from as string,
    to: q.to as string,
    since: since ?? 0,
    until: until ?? 0,
    cursor: decodeCursor(q.cursor, 'flows', p),
    limit: limitOf(q.limit, p),
  };
  p.throwIfAny('flows');
  return parsed;
}

/** Validates an officer activity query. @throws MsxError `AUDIT.QUERY_INVALID` naming every bad field */
export function parseOfficerActivityQuery(input: unknown) {
  const q = record(input, 'officer activity');
  const p = new Problems();
  if (!isOfficerId(q.officer)) p.add('officer', 'must be an officer id of 1 to 64 visible characters');
  const since = timeOf(q.since, 'since', p, false);
  const until = timeOf(q.until, 'until', p, false);
  if (since !== undefined && until !== undefined && since >= until) p.add('until', 'must be after since');
  const parsed = {
    officer: q.officer as string,
    since,
    until,
    cursor: decodeCursor(q.cursor, 'activity', p),
    limit: limitOf(q.limit, p),
  };
  p.throwIfAny('officer activity');
  return parsed;
}

const UTC_TEXT = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The columns of an {@link AuditRecord}, each under its field's name ({@link AUDIT_COLUMNS}). `seq` is returned
 * as text under its own name, so every query orders and compares by the qualified column (`e.seq`), which
 * PostgreSQL always reads as the number: an unqualified `ORDER BY seq` would mean the text output column and
 * sort 10 before 9.
 */
const RECORD_COLUMNS = AUDIT_FIELDS.map((field) => {
  const { name, type } = AUDIT_COLUMNS[field];
  const value = type === 'int8' ? `${name}::text` : type === 'timestamptz' ? UTC_TEXT(name) : name;
  return `${value} AS "${field}"`;
}).join(', ');

/**
 * The auditors' read side of the trail: the trail of one message, flows between two parties, one officer's
 * activity. Every query pages by keyset (never OFFSET), so a page costs the same however deep it is; the
 * cursor is opaque to callers.
 */
export class AuditQueries {
  private readonly table: string;

  constructor(private readonly ds: DataSource) {
    const schema = (ds.options as { schema?: string }).schema ?? 'public';
    const name = ds.getMetadata(AuditEntryEntity).tableName;
    this.table = `"${schema}"."${name}"`;
  }

  /**
   * Every row about one message in `seq` order: its own rows (submitted, delivered, withheld, received,
   * consulted, …) and those of the control messages and forwarded copies that concern it (acknowledgements,
   * share requests and decisions, recalls, erasure receipts), which name it in `detail.concerns`.
   */
  async trail(input: unknown): Promise<Page<AuditRecord>> {
    const q = parseTrailQuery(input);
    // Two arms, each served by its index (ix_audit_entry_message_id, ix_audit_entry_concerns); a row of the
    // message that also names it is taken once. Written as one OR, the planner walks the primary key instead.
    // The rows of one message are few, so ordering them by seq is cheap.
    const rows = await this.run<AuditRecord>(
      `SELECT ${RECORD_COLUMNS} FROM (
         SELECT * FROM ${this.table} WHERE message_id = $1 AND seq > $2::int8
         UNION ALL
         SELECT * FROM ${this.table}
          WHERE (detail ->> 'concerns') = $1 AND message_id IS DISTINCT FROM $1 AND seq > $2::int8) e
        ORDER BY e.seq LIMIT $3`,
      [q.messageId, q.cursor?.seq ?? '0', q.limit + 1],
    );
    return this.page(rows, q.limit, (last) => ({ q: 'trail', seq: last.seq }));
  }

  /**
   * What `from` did towards `to` in `[since, until)`: rows whose actor is `from` and counterpart is `to`
   * (delivered, withheld, forwarded, …), counted by operation, message type and handling code. Groups are
   * paged in the order of that key.
   */
  async flows(input: unknown): Promise<FlowsPage> {
    const q = parseFlowsQuery(input);
    const params: unknown[] = [q.from, q.to, new Date(q.since), new Date(q.until)];
    let after = '';
    if (q.cursor) {
      params.push(...q.cursor.key);
      after = `HAVING (operation, coalesce(message_type, ''), coalesce(handling_code, '')) > ($5, $6, $7)`;
    }
    params.push(q.limit + 1);
    const rows = await this.run<FlowCount & { count: string }>(
      `SELECT operation, message_type AS "messageType", handling_code AS "handlingCode", count(*)::text AS count
         FROM ${this.table}
        WHERE actor_node = $1 AND counterpart_node = $2 AND occurred_at >= $3 AND occurred_at < $4
        GROUP BY operation, message_type, handling_code ${after}
        ORDER BY operation, coalesce(message_type, ''), coalesce(handling_code, '')
        LIMIT $${params.length}`,
      params,
    );
    const page = this.page(
      rows.map((r) => ({ ...r, count: Number(r.count) })),
      q.limit,
      (last) => ({ q: 'flows', key: [last.operation, last.messageType ?? '', last.handlingCode ?? ''] }),
    );
    return {
      from: q.from,
      to: q.to,
      since: new Date(q.since).toISOString(),
      until: new Date(q.until).toISOString(),
      ...page,
    };
  }

  /**
   * One officer's operations in time order (`occurred_at`, then `seq`), so that ix_audit_entry_actor_person
   * (actor_person, occurred_at) serves both the filter and the order.
   */
  async officerActivity(input: unknown): Promise<Page<AuditRecord>> {
    const q = parseOfficerActivityQuery(input);
    const params: unknown[] = [q.officer];
    const where = ['e.actor_person = $1'];
    if (q.since !== undefined) where.push(`e.occurred_at >= $${params.push(new Date(q.since))}`);
    if (q.until !== undefined) where.push(`e.occurred_at < $${params.push(new Date(q.until))}`);
    if (q.cursor) {
      const at = params.push(q.cursor.at);
      const seq = params.push(q.cursor.seq);
      where.push(`(e.occurred_at, e.seq) > ($${at}::timestamptz, $${seq}::int8)`);
    }
    const rows = await this.run<AuditRecord>(
      `SELECT ${RECORD_COLUMNS} FROM ${this.table} e
        WHERE ${where.join(' AND ')} ORDER BY e.occurred_at, e.seq LIMIT $${params.push(q.limit + 1)}`,
      params,
    );
    return this.page(rows, q.limit, (last) => ({ q: 'activity', at: last.occurredAt, seq: last.seq }));
  }

  /**
   * When the last row was committed (null for an empty trail). Also the audit service's probe that the
   * database answers and takes writes: a standby (during a failover, the address moved to a replica not yet
   * promoted) answers reads, but the trail cannot record there, so it fails as `AUDIT.STORE_UNAVAILABLE`.
   */
  async lastRecordedAt(): Promise<Date | null> {
    const rows = await this.run<{ recordedAt: Date | null; standby: boolean }>(
      `SELECT (SELECT recorded_at FROM ${this.table} ORDER BY seq DESC LIMIT 1) AS "recordedAt",
              pg_is_in_recovery() AS standby`,
      [],
    );
    if (rows[0].standby)
      throw new MsxError(
        'AUDIT.STORE_UNAVAILABLE',
        'the audit database is a standby (in recovery): it takes no writes until it is promoted',
        { hold: true },
      );
    return rows[0].recordedAt;
  }

  private page<T>(rows: T[], limit: number, cursorOf: (last: T) => Cursor): Page<T> {
    const items = rows.slice(0, limit);
    return {
      items,
      nextCursor: rows.length > limit ? encodeCursor(cursorOf(items[items.length - 1])) : null,
    };
  }

  private async run<R>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return await this.ds.query<R[]>(sql, params);
    } catch (err) {
      throw classifyStorageError(err);
    }
  }
}
