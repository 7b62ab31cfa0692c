import type { DataSource } from 'typeorm';
import { AUDIT_NODE, AuditOperation, MsxError, newAuditEvent, uuidv7 } from '#contracts';
import { monthStartOf } from './audit-partitions.js';
import { AuditRepository } from './audit-repository.js';
import { auditRoles } from './audit-roles.js';
import type { SqlRunner } from './chained-row.js';
import { AuditCheckpointStore, signCheckpointAt, type SignedCheckpoint } from './checkpoint-store.js';
import type { AuditSigningKey } from './signing-key.js';
import { classifyStorageError } from './storage-errors.js';
import {
  verifyAuditChain,
  type VerifyAuditChainReport,
  type WitnessCheckpoint,
} from './verify-audit-chain.js';

/**
 * Retention of the audit trail by partition (DESIGN §5): the monthly partitions wholly before a month boundary
 * are dropped as whole tables, and only through {@link runAuditRetention}, which
 *
 * 1. refuses without a justification, or with a `before` that is not a past UTC month boundary;
 * 2. plans: the partitions wholly before `before`, which must hold a prefix of the chain;
 * 3. verifies the whole trail first, so it never signs over, nor destroys, rows that were tampered with;
 * 4. in one transaction holding the chain writer's advisory lock (no append interleaves): makes sure a signed
 *    checkpoint exists at the last dropped row, so the remaining chain verifies from its first row; appends an
 *    `erased` row recording the retention itself through the normal chained append; then, as the owner role,
 *    detaches and drops the partitions.
 *
 * The append-only triggers stay in force throughout: they guard rows (UPDATE, DELETE, TRUNCATE), and
 * dropping a partition removes a whole table, which only its owner may do. Checkpoints and event ids are
 * never pruned.
 */

/** The rule recorded on the retention's own audit row. */
export const RETENTION_RULE = 'AUDIT.RETENTION';

/** The node recorded as the actor of the retention's own audit row (also its publisher). */
export const RETENTION_ACTOR_NODE = AUDIT_NODE;

/** Longest justification accepted, in characters. */
export const MAX_RETENTION_JUSTIFICATION_CHARS = 1000;

/** Stable codes of a refused retention (STYLE §7); every refusal leaves the trail unchanged. */
export type RetentionRefusalCode =
  /** The justification is missing, blank or longer than {@link MAX_RETENTION_JUSTIFICATION_CHARS}. */
  | 'AUDIT.RETENTION_NO_JUSTIFICATION'
  /** `before` is not the first instant of a UTC month. */
  | 'AUDIT.RETENTION_NOT_MONTH_BOUNDARY'
  /** `before` lies after the start of the current month: the current month (or a later one) would go. */
  | 'AUDIT.RETENTION_CURRENT_MONTH'
  /** The partitions before `before` do not hold a prefix of the chain, or a partition straddles `before`. */
  | 'AUDIT.RETENTION_NOT_PREFIX'
  /** The trail does not verify, or a stored checkpoint at the boundary disagrees with the row there. */
  | 'AUDIT.RETENTION_CHAIN_INVALID';

/** What to drop and why. */
export interface AuditRetentionRequest {
  /** Drop the partitions whose month ends at or before this instant: a UTC month boundary, not after the current month's start. */
  before: Date;
  /** Why (recorded in the trail); required, at most {@link MAX_RETENTION_JUSTIFICATION_CHARS} characters. */
  justification: string;
  /** The officer or operator who ordered it, recorded as the actor person. */
  actorPerson: string;
  /** Plan and report only: nothing is signed, written or dropped. */
  dryRun?: boolean;
}

export interface AuditRetentionOptions {
  /** Signs the boundary checkpoint when none is stored there; required unless `dryRun`. */
  key?: AuditSigningKey;
  /** Name of the trail in its checkpoints (as the audit service signs them). */
  logId: string;
  /** Keys trusted for the stored checkpoints when verifying first; default: `key`'s public key. */
  trustedKeys?: readonly Uint8Array[];
  /** Checkpoints kept by witnesses, checked too when verifying first. */
  witnessCheckpoints?: readonly WitnessCheckpoint[];
  /** Progress, one sentence per step. */
  onStep?: (message: string) => void;
  /** Progress of the verification, in rows. */
  onVerifyProgress?: (verified: number, total: number) => void;
  /** The current time in milliseconds since the epoch (tests). */
  nowMs?: number;
}

/** One partition to drop. */
export interface RetentionPartition {
  /** Table name, e.g. `audit_entry_p202601`. */
  name: string;
  /** Lower and upper bound of `recorded_at` (ISO 8601, upper exclusive). */
  from: string;
  to: string;
  rows: number;
  /** Smallest and largest seq in it, or null when empty. */
  firstSeq: string | null;
  lastSeq: string | null;
}

/** What a retention drops. */
export interface AuditRetentionPlan {
  before: Date;
  /** Oldest first. */
  partitions: RetentionPartition[];
  rows: number;
  /** The seq range dropped, or null when the partitions are empty. */
  firstSeq: string | null;
  lastSeq: string | null;
  /** The first seq that remains, or null when no row remains. */
  remainingFirstSeq: string | null;
}

/** The checkpoint the remaining chain starts from. */
export interface BoundaryCheckpoint {
  checkpoint: SignedCheckpoint;
  /** True when this retention signed and stored it; false when the audit service had stored it already. */
  created: boolean;
}

export interface AuditRetentionResult {
  plan: AuditRetentionPlan;
  /** True when nothing was changed (a dry run, or nothing to drop). */
  unchanged: boolean;
  /** The verification run before anything was changed (not for dry runs or when nothing was to drop). */
  verification?: VerifyAuditChainReport;
  /** Present when rows were dropped. */
  boundary?: BoundaryCheckpoint;
  /** The `erased` row recording the retention: its seq and event id. */
  auditRow?: { seq: string; eventId: string };
}

const refuse = (code: RetentionRefusalCode, message: string) => new MsxError(code, message);

/**
 * Checks a request before anything is read: a justification, and a `before` that is a UTC month boundary no
 * later than the current month's start.
 * @throws MsxError with a {@link RetentionRefusalCode}
 */
export function checkRetentionRequest(req: AuditRetentionRequest, nowMs = Date.now()): void {
  const justification = req.justification.trim();
  if (justification === '')
    throw refuse(
      'AUDIT.RETENTION_NO_JUSTIFICATION',
      'a justification is required: say why these audit rows may be erased',
    );
  if (justification.length > MAX_RETENTION_JUSTIFICATION_CHARS)
    throw refuse(
      'AUDIT.RETENTION_NO_JUSTIFICATION',
      `the justification has ${justification.length} characters; at most ${MAX_RETENTION_JUSTIFICATION_CHARS} are allowed`,
    );
  const before = req.before.getTime();
  if (Number.isNaN(before))
    throw refuse('AUDIT.RETENTION_NOT_MONTH_BOUNDARY', '"before" is not a valid time');
  if (before !== monthStartOf(req.before).getTime())
    throw refuse(
      'AUDIT.RETENTION_NOT_MONTH_BOUNDARY',
      `${req.before.toISOString()} is not a month boundary: partitions are whole UTC months, so give the first instant of a month, e.g. ${monthStartOf(req.before).toISOString()}`,
    );
  const currentMonth = monthStartOf(new Date(nowMs));
  if (before > currentMonth.getTime())
    throw refuse(
      'AUDIT.RETENTION_CURRENT_MONTH',
      `${req.before.toISOString()} would drop the current month (from ${currentMonth.toISOString()}) or a later one; the latest allowed is ${currentMonth.toISOString()}`,
    );
}

interface PartitionRow {
  oid: string;
  name: string;
  from_ms: string | null;
  to_ms: string | null;
}

/**
 * The partitions of the trail wholly before `before`, with their rows, checked to hold a prefix of the chain.
 * Reads through the parent table only (the writer's SELECT right suffices).
 * @throws MsxError `AUDIT.RETENTION_NOT_PREFIX`
 */
export async function planAuditRetention(
  runner: SqlRunner,
  schema: string,
  before: Date,
): Promise<AuditRetentionPlan> {
  const table = `"${schema}"."audit_entry"`;
  // Bounds as the partition definitions state them; DEFAULT or MINVALUE/MAXVALUE bounds are never dropped.
  const parts = (await runner.query(
    `SELECT oid::text AS oid, name,
            (extract(epoch FROM m[1]::timestamptz) * 1000)::int8::text AS from_ms,
            (extract(epoch FROM m[2]::timestamptz) * 1000)::int8::text AS to_ms
       FROM (SELECT c.oid, c.relname AS name,
                    regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)') AS m
               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = $1::regclass) p
      ORDER BY m[2]::timestamptz NULLS LAST, name`,
    [table],
  )) as PartitionRow[];
  const dropped = parts.filter((p) => p.to_ms !== null && Number(p.to_ms) <= before.getTime());
  const droppedOids = new Set(dropped.map((p) => p.oid));

  const counts = (await runner.query(
    `SELECT tableoid::oid::text AS oid, count(*)::int8::text AS n, min(seq)::text AS lo, max(seq)::text AS hi
       FROM ${table} WHERE recorded_at < $1 GROUP BY tableoid`,
    [before.toISOString()],
  )) as { oid: string; n: string; lo: string; hi: string }[];
  const straddling = counts.find((c) => !droppedOids.has(c.oid));
  if (straddling) {
    const name = parts.find((p) => p.oid === straddling.oid)?.name ?? straddling.oid;
    throw refuse(
      'AUDIT.RETENTION_NOT_PREFIX',
      `partition ${name} holds rows recorded before ${before.toISOString()} but extends past it: only whole partitions can be dropped`,
    );
  }
  const byOid = new Map(counts.map((c) => [c.oid, c]));
  const partitions: RetentionPartition[] = dropped.map((p) => {
    const c = byOid.get(p.oid);
    return {
      name: p.name,
      from: p.from_ms === null ? '-infinity' : new Date(Number(p.from_ms)).toISOString(),
      to: new Date(Number(p.to_ms)).toISOString(),
      rows: c ? Number(c.n) : 0,
      firstSeq: c?.lo ?? null,
      lastSeq: c?.hi ?? null,
    };
  });
  const withRows = partitions.filter((p) => p.rows > 0);
  const rows = withRows.reduce((n, p) => n + p.rows, 0);
  const firstSeq = withRows.length ? minSeq(withRows.map((p) => p.firstSeq!)) : null;
  const lastSeq = withRows.length ? maxSeq(withRows.map((p) => p.lastSeq!)) : null;

  const [rest] = (await runner.query(`SELECT min(seq)::text AS lo FROM ${table} WHERE recorded_at >= $1`, [
    before.toISOString(),
  ])) as { lo: string | null }[];
  const remainingFirstSeq = rest?.lo ?? null;
  if (lastSeq !== null && remainingFirstSeq !== null && BigInt(remainingFirstSeq) <= BigInt(lastSeq))
    throw refuse(
      'AUDIT.RETENTION_NOT_PREFIX',
      `the partitions before ${before.toISOString()} are not a prefix of the chain: row ${remainingFirstSeq} would remain although rows up to ${lastSeq} would be dropped`,
    );
  if (firstSeq !== null && BigInt(lastSeq!) - BigInt(firstSeq) + 1n !== BigInt(rows))
    throw refuse(
      'AUDIT.RETENTION_CHAIN_INVALID',
      `the partitions before ${before.toISOString()} hold ${rows} rows but seq ${firstSeq}…${lastSeq}: rows are missing or repeated`,
    );
  return { before, partitions, rows, firstSeq, lastSeq, remainingFirstSeq };
}

const minSeq = (seqs: string[]) => seqs.reduce((a, b) => (BigInt(b) < BigInt(a) ? b : a));
const maxSeq = (seqs: string[]) => seqs.reduce((a, b) => (BigInt(b) > BigInt(a) ? b : a));

/** The checkpoint stored at `size`, if any (its signature was checked by the verification before). */
async function storedCheckpointAt(
  runner: SqlRunner,
  schema: string,
  size: string,
): Promise<SignedCheckpoint | undefined> {
  const [r] = (await runner.query(
    `SELECT head_hash, (extract(epoch FROM signed_at) * 1000)::int8::text AS signed_at_ms, log_id, key_id,
            public_key, signature
       FROM "${schema}"."audit_checkpoint" WHERE tree_size = $1`,
    [size],
  )) as {
    head_hash: string;
    signed_at_ms: string;
    log_id: string;
    key_id: string;
    public_key: string;
    signature: string;
  }[];
  return (
    r && {
      logId: r.log_id,
      treeSize: BigInt(size),
      headHash: r.head_hash.trim(),
      signedAtMs: Number(r.signed_at_ms),
      keyId: r.key_id,
      publicKey: new Uint8Array(Buffer.from(r.public_key, 'base64')),
      signature: new Uint8Array(Buffer.from(r.signature, 'base64')),
    }
  );
}

/**
 * Drops the partitions of the trail in `ds` wholly before `req.before`, as an audited operation (see the top
 * of this file). A dry run, or a run that finds nothing to drop, changes nothing. Idempotent: a second run
 * with the same `before` finds nothing to drop.
 * @throws MsxError with a {@link RetentionRefusalCode} when refused (nothing changed), or
 *   `AUDIT.STORE_UNAVAILABLE` / `AUDIT.STORE_REJECTED` when the database failed (the transaction rolled back)
 */
export async function runAuditRetention(
  ds: DataSource,
  req: AuditRetentionRequest,
  opts: AuditRetentionOptions,
): Promise<AuditRetentionResult> {
  const step = opts.onStep ?? (() => undefined);
  const nowMs = opts.nowMs ?? Date.now();
  checkRetentionRequest(req, nowMs);
  const schema = (ds.options as { schema?: string }).schema ?? 'public';
  const url = (ds.options as { url?: string }).url;
  const roles = auditRoles(schema);
  const before = new Date(req.before.getTime());

  step(`planning: partitions of ${schema}.audit_entry wholly before ${before.toISOString()}`);
  const draft = await storage(() => planAuditRetention(ds, schema, before));
  if (req.dryRun || draft.partitions.length === 0) return { plan: draft, unchanged: true };
  if (!opts.key) throw new Error('a signing key is needed to sign the boundary checkpoint');
  if (!url) throw new Error('the data source has no URL, which the verification needs');
  const key = opts.key;

  // Outside the lock: verifying a long trail must not hold up the chain writer. Rows before the boundary only
  // ever change by an insider disabling the triggers, which the stored and witnessed checkpoints still expose.
  step('verifying the trail before anything is signed or dropped');
  const checkpoints = await storage(() => new AuditCheckpointStore(ds).all());
  const verification = await verifyAuditChain({ url, schema }, checkpoints, {
    trustedKeys: opts.trustedKeys ?? [key.publicKeyDer],
    witnessCheckpoints: opts.witnessCheckpoints,
    onProgress: opts.onVerifyProgress,
  });
  if (!verification.ok)
    throw refuse(
      'AUDIT.RETENTION_CHAIN_INVALID',
      `the trail does not verify (${verification.problem?.code} at row ${verification.problem?.seq ?? '-'}: ${verification.problem?.reason}); nothing is dropped while it does not`,
    );

  const repository = new AuditRepository(ds);
  return storage(() =>
    ds.transaction(async (tx) => {
      // An empty append takes the chain writer's own advisory lock (and the writer role): from here until
      // commit no row is appended by anyone else, so the plan below stays true.
      await repository.appendIn(tx, []);
      step('holding the chain lock; planning again');
      const plan = await planAuditRetention(tx, schema, before);
      if (plan.partitions.length === 0) return { plan, unchanged: true, verification };

      let boundary: BoundaryCheckpoint | undefined;
      if (plan.lastSeq !== null) {
        const [row] = await tx.query<{ row_hash: string }[]>(
          `SELECT row_hash FROM "${schema}"."audit_entry" WHERE seq = $1 AND recorded_at < $2`,
          [plan.lastSeq, before.toISOString()],
        );
        const headHash = row.row_hash.trim();
        let stored = await storedCheckpointAt(tx, schema, plan.lastSeq);
        if (!stored) {
          const signed = signCheckpointAt(key, opts.logId, BigInt(plan.lastSeq), headHash, nowMs);
          if (await new AuditCheckpointStore(ds).saveIn(tx, signed))
            boundary = { checkpoint: signed, created: true };
          else stored = await storedCheckpointAt(tx, schema, plan.lastSeq); // signed meanwhile by the audit service
        }
        if (stored) {
          if (stored.headHash !== headHash)
            throw refuse(
              'AUDIT.RETENTION_CHAIN_INVALID',
              `the checkpoint stored at size ${plan.lastSeq} signs head ${stored.headHash.slice(0, 16)}… but row ${plan.lastSeq} has ${headHash.slice(0, 16)}…`,
            );
          boundary = { checkpoint: stored, created: false };
        }
        step(
          `checkpoint at the boundary: size ${plan.lastSeq}, head ${headHash.slice(0, 16)}… (${boundary?.created ? 'signed now' : 'stored before'})`,
        );
      }

      const eventId = uuidv7(nowMs);
      const detail = {
        before: before.toISOString(),
        partitions: plan.partitions.map((p) => p.name),
        rows: plan.rows,
        firstSeq: plan.firstSeq,
        lastSeq: plan.lastSeq,
        ...(boundary && {
          checkpoint: {
            treeSize: boundary.checkpoint.treeSize.toString(),
            headHash: boundary.checkpoint.headHash,
            keyId: boundary.checkpoint.keyId,
          },
        }),
      };
      const { inserted, head } = await repository.appendIn(tx, [
        {
          publisher: AUDIT_NODE,
          event: newAuditEvent(
            {
              eventId,
              operation: AuditOperation.ERASED,
              actorNode: RETENTION_ACTOR_NODE,
              actorPerson: req.actorPerson,
              rule: RETENTION_RULE,
              justification: req.justification.trim(),
              detailJson: JSON.stringify(detail),
            },
            nowMs,
          ),
        },
      ]);
      if (inserted !== 1) throw new Error(`the retention's own audit row ${eventId} was not recorded`);
      step(`recorded the retention as audit row ${head.treeSize} (erased, ${RETENTION_RULE})`);

      // Whole tables, by their owner: the row triggers are not involved and stay enabled everywhere else.
      await tx.query(`SET LOCAL ROLE "${roles.owner}"`);
      for (const p of plan.partitions) {
        await tx.query(`ALTER TABLE "${schema}"."audit_entry" DETACH PARTITION "${schema}"."${p.name}"`);
        await tx.query(`DROP TABLE "${schema}"."${p.name}"`);
        step(`dropped ${p.name} (${p.rows} rows)`);
      }
      return {
        plan,
        unchanged: false,
        verification,
        boundary,
        auditRow: { seq: head.treeSize.toString(), eventId },
      };
    }),
  );
}

/** Runs a storage step; refusals pass through, database errors are classified at this edge (STYLE §8). */
async function storage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof MsxError) throw err;
    throw classifyStorageError(err);
  }
}
