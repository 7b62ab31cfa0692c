/**
 * The audit store's read-side figures: the trail of one message with a large audit table, and the rate at
 * which the hash chain is verified.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type pg from 'pg';
import * as auditStore from '#audit-store';
import { nowMs, summary } from './stats.js';

/** Rows seeded per statement. */
const SEED_CHUNK = 250_000;
/** Audit rows per message in the seeded table: submitted, delivered ×3, withheld, received. */
const ROWS_PER_MESSAGE = 6;

/** SQL for each column of the seeded rows, by name; `g` is the row number. */
const SEED_EXPRESSIONS: Record<string, string> = {
  seq: 'g',
  event_id: `md5('e' || g)::uuid`,
  occurred_at: `now() - (($2 - g) * interval '1 millisecond')`,
  recorded_at: 'now()',
  operation: `(ARRAY['submitted','delivered','delivered','delivered','withheld','received'])[(g % 6 + 1)::int]`,
  actor_node: `(ARRAY['emlo-ne','cp-it','cp-gr','jot-mare','afic','ilo-it-ly'])[((g / 6) % 6 + 1)::int]`,
  actor_person: `'officer-' || (g % 97)`,
  counterpart_node: `(ARRAY['cp-it','cp-mt','jot-mare','frontex-ra','afic-partner-ne','eurojust'])[(g % 6 + 1)::int]`,
  message_id: `md5('m' || (g / ${ROWS_PER_MESSAGE}))::uuid::text`,
  message_type: `'routeReport'`,
  handling_code: `'H1'`,
  tlp: `'AMBER'`,
  message_sha256: `md5('s' || (g / 6)) || md5('t' || (g / 6))`,
  rule: `'POLICY.ALLOWED'`,
  detail: `'{}'::jsonb`,
  correlation_id: `md5('c' || (g / 6))`,
  prev_hash: `md5('p' || g) || md5('q' || g)`,
  row_hash: `md5('p' || (g + 1)) || md5('q' || (g + 1))`,
};

/** The message id of seeded message `k`, as PostgreSQL's `md5('m' || k)::uuid::text` spells it. */
function seededMessageId(k: number): string {
  const h = createHash('md5').update(`m${k}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface SeedResult {
  rows: number;
  seconds: number;
}

/**
 * Fills `<schema>.audit_entry` (made by the audit store's migrations) with `target` rows by
 * `generate_series`, in chunks, stopping early when `budgetMs` is spent. Rows are realistic in shape
 * (6 per message, indexed columns varied) but not hash-chained: they serve reads only. Triggers are off
 * for the seeding session (`session_replication_role = replica`, which needs a superuser).
 */
export async function seedTrail(
  db: pg.Client,
  schema: string,
  target: number,
  budgetMs: number,
  progress: (rows: number) => void,
): Promise<SeedResult> {
  const { rows: columns } = await db.query<{
    column_name: string;
    is_nullable: string;
    column_default: string | null;
  }>(
    `SELECT column_name, is_nullable, column_default FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = 'audit_entry' ORDER BY ordinal_position`,
    [schema],
  );
  const unknownRequired = columns.filter(
    (c) => !(c.column_name in SEED_EXPRESSIONS) && c.is_nullable === 'NO' && c.column_default === null,
  );
  if (unknownRequired.length > 0)
    throw new Error(
      `cannot seed: audit_entry has required columns the benchmark does not know: ${unknownRequired.map((c) => c.column_name).join(', ')}`,
    );
  const used = columns.filter((c) => c.column_name in SEED_EXPRESSIONS).map((c) => c.column_name);
  const sql = `INSERT INTO "${schema}".audit_entry (${used.map((c) => `"${c}"`).join(', ')})
               SELECT ${used.map((c) => SEED_EXPRESSIONS[c]).join(', ')} FROM generate_series($1::int8, $2::int8) g`;
  await db.query(`SET session_replication_role = replica`);
  const started = nowMs();
  let rows = 0;
  try {
    while (rows < target && nowMs() - started < budgetMs) {
      const n = Math.min(SEED_CHUNK, target - rows);
      await db.query(sql, [rows + 1, rows + n]);
      rows += n;
      progress(rows);
    }
  } finally {
    await db.query(`SET session_replication_role = DEFAULT`);
  }
  await db.query(`ANALYZE "${schema}".audit_entry`);
  return { rows, seconds: (nowMs() - started) / 1000 };
}

export interface TrailQueryResult {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  queries: number;
  rowsPerTrail: number;
}

/**
 * Time to read the full trail of one message (every row about it, in trail order, as the auditors' trail
 * query does), for `queries` messages picked at random among `seededRows / 6`, as a client sees it.
 */
export async function trailQueryTime(
  db: pg.Client,
  schema: string,
  seededRows: number,
  queries: number,
): Promise<TrailQueryResult> {
  const messages = Math.max(1, Math.floor(seededRows / ROWS_PER_MESSAGE));
  const text = `SELECT * FROM "${schema}".audit_entry WHERE message_id = $1 ORDER BY seq`;
  const times: number[] = [];
  let rowsSeen = 0;
  for (let i = 0; i < queries + 20; i++) {
    const id = seededMessageId(1 + Math.floor(Math.random() * (messages - 1)));
    const t0 = nowMs();
    const res = await db.query({ name: 'bench-trail', text, values: [id] });
    const ms = nowMs() - t0;
    // The first 20 warm the plan cache and the connection; they are not counted.
    if (i >= 20) {
      times.push(ms);
      rowsSeen += res.rowCount ?? 0;
    }
  }
  const s = summary(times);
  return { p50Ms: s.p50, p99Ms: s.p99, maxMs: s.max, queries, rowsPerTrail: rowsSeen / queries };
}

/** The verifier's report fields the benchmark reads. */
interface VerifyReport {
  ok: boolean;
  rowsVerified: number;
  elapsedMs: number;
}
type VerifyFn = (
  db: { url: string; schema: string },
  checkpoints: readonly unknown[],
  opts?: object,
) => Promise<VerifyReport>;

/** Readers of a million-row trail: one per core, at most four (the verifier's own choice for such a trail). */
export const verificationReaders = () => Math.min(availableParallelism(), 4);

/** True when this build's audit store has `verifyAuditChain`. */
export function verificationAvailable(): boolean {
  return typeof (auditStore as Record<string, unknown>).verifyAuditChain === 'function';
}

/**
 * Verifies the hash chain of the trail the services wrote in `schema` and returns rows per second; the
 * trail is a real chain (written by the audit service during the benchmark).
 */
export async function verificationRate(
  url: string,
  schema: string,
): Promise<{ rowsPerSecond: number; rows: number; ok: boolean }> {
  const verify = (auditStore as Record<string, unknown>).verifyAuditChain as VerifyFn;
  // As many readers side by side as a trail of a million rows gets, although this one is shorter: the rate
  // is projected to a million rows, and their start-up is counted against the shorter trail.
  const report = await verify({ url, schema }, [], { readers: verificationReaders() });
  if (report.rowsVerified === 0) throw new Error('the trail is empty: nothing to verify');
  return {
    rowsPerSecond: report.rowsVerified / (report.elapsedMs / 1000),
    rows: report.rowsVerified,
    ok: report.ok,
  };
}
