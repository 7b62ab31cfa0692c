import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { keyIdOf, verifyCheckpointSignature, type SignedCheckpointRecord } from '#contracts';
import type { SignedCheckpoint } from './checkpoint-store.js';
import { linkProblem, verifyRange, type RangeResult, type RangeTask } from './verify-range.js';
import type { RangeWorkerMessage } from './verify-range.worker.js';

/** Why a trail failed verification. */
export type ChainProblemCode =
  /** A row's content does not hash to its `row_hash`: a field was altered. */
  | 'ROW_ALTERED'
  /** A row's `prev_hash` is not the hash of the row before: rows were removed, inserted or reordered. */
  | 'BROKEN_LINK'
  /** A seq is missing: the row after row K is not K+1. */
  | 'SEQ_GAP'
  /** Two rows carry the same seq (only possible by going round the store's one-row-per-seq trigger). */
  | 'SEQ_REPEATED'
  /** The first row is not row 1 and no valid checkpoint vouches for the row before it. */
  | 'NO_ANCHOR'
  /** A valid checkpoint covers more rows than the trail holds. */
  | 'TRUNCATED'
  /** The row at a checkpoint's size does not have the head hash the checkpoint signed. */
  | 'CHECKPOINT_MISMATCH'
  /** A stored checkpoint's signature is invalid, or made with a key that is not trusted. */
  | 'BAD_CHECKPOINT';

export interface ChainProblem {
  code: ChainProblemCode;
  /** The first bad row, when there is one. */
  seq: string | null;
  /** A sentence for the auditor. */
  reason: string;
}

/** A checkpoint as one witness kept it. */
export interface WitnessCheckpoint {
  /** Who kept it, e.g. `jot-mare`. */
  witness: string;
  checkpoint: SignedCheckpointRecord;
}

export interface VerifyAuditChainOptions {
  /**
   * Public keys (SPKI DER) allowed to sign checkpoints. When empty, any valid signature counts; a rewrite
   * is still caught by the witnesses' checkpoints, which the rewriter cannot change.
   */
  trustedKeys?: readonly Uint8Array[];
  /** Checkpoints kept by other nodes; rows are checked against them too. */
  witnessCheckpoints?: readonly WitnessCheckpoint[];
  /**
   * Rows per COPY (50,000 unless told). Each COPY holds a share lock on the trail for as long as it runs,
   * and the first append of a month, which creates a partition, waits for it: the trail is read in
   * keyset ranges so that it never waits long, however long the trail.
   */
  rowsPerCopy?: number;
  /** Rows verified between two progress reports (20,000 unless told). */
  progressEvery?: number;
  /**
   * Readers verifying stretches of the trail side by side, each in a worker thread with a connection of its
   * own (one per core, at most four, for a trail of 100,000 rows or more; one, in this thread, for a shorter
   * one). Each stretch's first row is linked to the last row of the stretch before it, so the answer is the
   * same whatever their number.
   */
  readers?: number;
  /** Called every {@link progressEvery} rows and at the end with the rows verified so far and the expected total. */
  onProgress?(verified: number, total: number): void;
}

export interface VerifyAuditChainReport {
  ok: boolean;
  /** The first problem found; verification stops there. */
  problem?: ChainProblem;
  rowsVerified: number;
  /** First and last seq seen, or null for an empty trail. */
  firstSeq: string | null;
  lastSeq: string | null;
  /** Stored checkpoints whose signature was checked. */
  checkpointsChecked: number;
  /** Witness checkpoints with a valid signature that the trail was compared with. */
  witnessCheckpointsChecked: number;
  /** Witness records ignored because their signature does not verify (a damaged witness file). */
  witnessCheckpointsRejected: number;
  /** Checkpoints (stored or witnessed) whose size lay inside the rows present and whose head hash matched. */
  checkpointsMatched: number;
  /**
   * Rows after the largest valid checkpoint (stored or witnessed): until a checkpoint covers them, they could
   * be removed from the end of the trail without the verifier noticing.
   */
  rowsNotCovered: number;
  /** The valid checkpoint with the largest size (the latest signed among equals), or null when there is none. */
  lastCheckpoint: LastCheckpoint | null;
  elapsedMs: number;
}

/** The newest coverage of the trail by a signed checkpoint. */
export interface LastCheckpoint {
  /** Rows 1…treeSize are covered. */
  treeSize: string;
  /** When it was signed, RFC 3339. */
  signedAt: string;
  /** Milliseconds from its signing to the end of the verification. */
  ageMs: number;
}

interface Expectation {
  headHash: string;
  source: string;
  signedAtMs: number;
}

function valid(c: SignedCheckpointRecord | SignedCheckpoint): boolean {
  const statement = {
    logId: c.logId,
    treeSize: BigInt(c.treeSize),
    headHash: c.headHash,
    signedAtMs: c.signedAtMs,
    keyId: c.keyId,
  };
  const key = typeof c.publicKey === 'string' ? Buffer.from(c.publicKey, 'base64') : c.publicKey;
  const sig = typeof c.signature === 'string' ? Buffer.from(c.signature, 'base64') : c.signature;
  return verifyCheckpointSignature(statement, sig, key);
}

/**
 * Why a stored checkpoint cannot be trusted: its signature does not verify, or (when keys are trusted) it is
 * signed with another key. Undefined when it can.
 */
export function checkpointProblem(
  c: SignedCheckpoint,
  trustedKeyIds: ReadonlySet<string>,
): ChainProblem | undefined {
  if (!valid(c))
    return {
      code: 'BAD_CHECKPOINT',
      seq: c.treeSize.toString(),
      reason: `the stored checkpoint at size ${c.treeSize} has an invalid signature`,
    };
  if (trustedKeyIds.size > 0 && !trustedKeyIds.has(c.keyId))
    return {
      code: 'BAD_CHECKPOINT',
      seq: c.treeSize.toString(),
      reason: `the stored checkpoint at size ${c.treeSize} is signed with key ${c.keyId}, which is not trusted`,
    };
  return undefined;
}

/** The valid checkpoint with the largest size, the latest signed among equals. */
function lastCheckpointOf(expected: Map<bigint, Expectation[]>, nowMs: number): LastCheckpoint | null {
  let size: bigint | undefined;
  for (const k of expected.keys()) if (size === undefined || k > size) size = k;
  if (size === undefined) return null;
  const signedAtMs = Math.max(...expected.get(size)!.map((e) => e.signedAtMs));
  return {
    treeSize: size.toString(),
    signedAt: new Date(signedAtMs).toISOString(),
    ageMs: Math.max(0, nowMs - signedAtMs),
  };
}

/** Reads the checkpoints a witness keeps for `logId` (`<dir>/<logId>.jsonl`, one JSON object per line). */
export function readWitnessCheckpoints(dir: string, logId: string): WitnessCheckpoint[] {
  const file = join(dir, `${logId}.jsonl`);
  if (!existsSync(file)) return [];
  const out: WitnessCheckpoint[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as SignedCheckpointRecord & { witness?: string };
      out.push({ witness: r.witness ?? dir, checkpoint: r });
    } catch {
      // A torn last line after a crash: the lines before it still count.
    }
  }
  return out;
}

/**
 * Verifies the audit trail in `schema` from its first remaining row to its last (DESIGN §5): every row's
 * hash, every link, seqs without gaps, the start against a signed checkpoint when older partitions were
 * dropped by retention, every stored checkpoint's signature, and the rows against every checkpoint stored or
 * kept by a witness. Rows are streamed with `COPY … TO STDOUT` in trail order, in keyset ranges over
 * `(seq, recorded_at)`, and hashed from the bytes read ({@link verifyRange}), not in the database. A long
 * trail is split into stretches of seq verified side by side in worker threads ({@link
 * VerifyAuditChainOptions.readers}), each stretch linked to the one before. Stops at the first problem in
 * trail order and names the row.
 */
export async function verifyAuditChain(
  db: { url: string; schema: string },
  checkpoints: readonly SignedCheckpoint[],
  opts: VerifyAuditChainOptions = {},
): Promise<VerifyAuditChainReport> {
  const started = Date.now();
  const progressEvery = opts.progressEvery ?? 20_000;
  const rowsPerCopy = opts.rowsPerCopy ?? 50_000;
  const report: VerifyAuditChainReport = {
    ok: false,
    rowsVerified: 0,
    firstSeq: null,
    lastSeq: null,
    checkpointsChecked: 0,
    witnessCheckpointsChecked: 0,
    witnessCheckpointsRejected: 0,
    checkpointsMatched: 0,
    rowsNotCovered: 0,
    lastCheckpoint: null,
    elapsedMs: 0,
  };
  const finish = (problem?: ChainProblem) => {
    report.ok = !problem;
    report.problem = problem;
    report.elapsedMs = Date.now() - started;
    report.lastCheckpoint = lastCheckpointOf(expected, Date.now());
    if (report.firstSeq !== null && report.lastSeq !== null) {
      // Covered: rows up to the largest checkpoint, and the rows before the first one (dropped by retention).
      const covered = BigInt(report.lastCheckpoint?.treeSize ?? '0');
      const before = BigInt(report.firstSeq) - 1n;
      const upTo = covered > before ? covered : before;
      const last = BigInt(report.lastSeq);
      report.rowsNotCovered = last > upTo ? Number(last - upTo) : 0;
    }
    return report;
  };

  // What the signed checkpoints say the head hash at each size must be.
  const trusted = new Set((opts.trustedKeys ?? []).map((k) => keyIdOf(k)));
  const expected = new Map<bigint, Expectation[]>();
  const expect = (size: bigint, e: Expectation) => expected.set(size, [...(expected.get(size) ?? []), e]);
  for (const c of checkpoints) {
    report.checkpointsChecked++;
    const bad = checkpointProblem(c, trusted);
    if (bad) return finish(bad);
    expect(c.treeSize, {
      headHash: c.headHash,
      source: `the stored checkpoint signed ${new Date(c.signedAtMs).toISOString()}`,
      signedAtMs: c.signedAtMs,
    });
  }
  for (const w of opts.witnessCheckpoints ?? []) {
    const c = w.checkpoint;
    if (!valid(c) || (trusted.size > 0 && !trusted.has(c.keyId))) {
      report.witnessCheckpointsRejected++;
      continue;
    }
    report.witnessCheckpointsChecked++;
    expect(BigInt(c.treeSize), {
      headHash: c.headHash,
      source: `the checkpoint kept by witness ${w.witness}, signed ${new Date(c.signedAtMs).toISOString()}`,
      signedAtMs: c.signedAtMs,
    });
  }
  const largest = [...expected.keys()].reduce((a, b) => (b > a ? b : a), 0n);

  const table = `"${db.schema}"."audit_entry"`;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  let bounds: { lo: string | null; hi: string | null };
  try {
    [bounds] = (
      await client.query<{ lo: string | null; hi: string | null }>(
        `SELECT min(seq)::text AS lo, max(seq)::text AS hi FROM ${table}`,
      )
    ).rows;
  } finally {
    await client.end();
  }
  const total = bounds.lo === null ? 0 : Number(BigInt(bounds.hi!) - BigInt(bounds.lo) + 1n);

  // Progress is the sum of what the readers verified, reported each time it passes a multiple of progressEvery.
  let progressed = 0;
  let reported = -1;
  const rowsOfRange: number[] = [];
  const onRows = (k: number, rows: number) => {
    const before = progressed;
    progressed += rows - (rowsOfRange[k] ?? 0);
    rowsOfRange[k] = rows;
    if (Math.floor(progressed / progressEvery) > Math.floor(before / progressEvery)) {
      reported = progressed;
      opts.onProgress?.(progressed, total);
    }
  };

  const readers = total === 0 ? 0 : Math.max(1, Math.floor(opts.readers ?? defaultReaders(total)));
  const tasks = rangeTasks(bounds, readers).map((range, k): RangeTask => ({
    url: db.url,
    table,
    ...range,
    startsTrail: k === 0,
    expectations: [...expected].map(([size, es]) => [
      size.toString(),
      es.map((e) => ({ headHash: e.headHash, source: e.source })),
    ]),
    rowsPerCopy,
    reportEvery: progressEvery,
  }));
  const readings =
    tasks.length === 1
      ? [{ result: verifyRange(tasks[0], (rows) => onRows(0, rows)), stop: async () => {} }]
      : tasks.map((task, k) => inWorker(task, (rows) => onRows(k, rows)));
  try {
    // The stretches in trail order: each one's first row is linked to the last row of the one before.
    let before: { seq: string; rowHash: string } | undefined;
    for (const reading of readings) {
      const r = await reading.result;
      report.firstSeq ??= r.first?.seq ?? null;
      if (r.problem && r.problemBeforeLink) return finish(r.problem);
      if (r.first && before) {
        const broken = linkProblem(before, r.first);
        if (broken) return finish(broken);
      }
      report.rowsVerified += r.rows;
      report.checkpointsMatched += r.checkpointsMatched;
      if (r.last) {
        before = r.last;
        report.lastSeq = r.last.seq;
      }
      if (r.problem) return finish(r.problem);
    }
  } finally {
    // After a problem, the stretches after it no longer matter.
    await Promise.all(readings.map((r) => r.stop()));
  }
  if (reported !== report.rowsVerified) opts.onProgress?.(report.rowsVerified, total);
  const lastSeq = BigInt(report.lastSeq ?? '0');
  if (largest > lastSeq)
    return finish({
      code: 'TRUNCATED',
      seq: (lastSeq + 1n).toString(),
      reason: `the trail ends at row ${lastSeq} but a signed checkpoint covers ${largest} rows: rows ${lastSeq + 1n}…${largest} are missing`,
    });
  return finish();
}

/** Trails shorter than this are verified by one reader: a worker thread costs more to start than they take. */
const PARALLEL_FROM_ROWS = 100_000;

/** One reader per core (at most four: the database's readers and the hashing share the cores) for a long trail. */
function defaultReaders(total: number): number {
  return total < PARALLEL_FROM_ROWS ? 1 : Math.min(availableParallelism(), 4);
}

/**
 * The trail `lo…hi` in `readers` stretches of equal seq span. The first is open at its start and the last at
 * its end, so that rows appended while the trail is verified are verified too.
 */
function rangeTasks(
  bounds: { lo: string | null; hi: string | null },
  readers: number,
): { from: string | null; to: string | null }[] {
  if (bounds.lo === null || readers === 0) return [];
  const lo = BigInt(bounds.lo);
  const span = BigInt(bounds.hi!) - lo + 1n;
  const n = BigInt(readers);
  const step = (span + n - 1n) / n;
  const out: { from: string | null; to: string | null }[] = [];
  for (let k = 0n; k < n && k * step < span; k++) {
    const from = lo + k * step;
    out.push({ from: k === 0n ? null : from.toString(), to: (from + step - 1n).toString() });
  }
  out[out.length - 1].to = null;
  return out;
}

/** The built worker module: beside this one, or in `dist/` when this module runs from its TypeScript source. */
function rangeWorkerFile(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./verify-range.worker.js', import.meta.url);
  return pathToFileURL(resolve('dist/libs/audit-store/src/verify-range.worker.js'));
}

/** Verifies a stretch in a worker thread; `stop` ends it (when a stretch before it has a problem). */
function inWorker(
  task: RangeTask,
  onRows: (rows: number) => void,
): { result: Promise<RangeResult>; stop(): Promise<void> } {
  const worker = new Worker(rangeWorkerFile(), { workerData: task });
  const result = new Promise<RangeResult>((resolve, reject) => {
    worker.on('message', (m: RangeWorkerMessage) => {
      if ('rows' in m) onRows(m.rows);
      else if ('result' in m) resolve(m.result);
      else reject(new Error(`verifying rows ${task.from ?? 'first'}…${task.to ?? 'last'}: ${m.error}`));
    });
    worker.on('error', reject);
    worker.on('exit', (code) =>
      reject(
        new Error(`the verifier of rows ${task.from ?? 'first'}…${task.to ?? 'last'} stopped (${code})`),
      ),
    );
  });
  // A stretch whose result is not awaited (after a problem before it) must not be an unhandled rejection.
  result.catch(() => undefined);
  return { result, stop: async () => void (await worker.terminate()) };
}
