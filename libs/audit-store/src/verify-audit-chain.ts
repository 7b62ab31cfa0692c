import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { keyIdOf, verifyCheckpointSignature, type SignedCheckpointRecord } from '#contracts';
import { GENESIS_HASH } from './audit-chain.js';
import { CHAINED_SELECT } from './chained-row.js';
import { CopiedRowReader, type CopiedRow } from './copy-rows.js';
import type { SignedCheckpoint } from './checkpoint-store.js';

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

const DIGITS = /^-?\d+$/;

/**
 * The COPY of the `rows` rows of the trail after `after` (all from the first when absent) in trail order. The
 * bounds are written into the statement (COPY takes no parameters): both are integers read from the trail,
 * checked to be digits.
 */
function rangeCopy(table: string, after: CopiedRow | undefined, rows: number): string {
  let where = '';
  if (after) {
    if (!DIGITS.test(after.seq) || !DIGITS.test(after.recordedAtUs))
      throw new Error(`row ${after.seq} has a seq or recorded_at that is not an integer`);
    where = `WHERE (seq, recorded_at) > (${after.seq}::int8, 'epoch'::timestamptz + ${after.recordedAtUs}::int8 * interval '1 microsecond')`;
  }
  return `COPY (SELECT ${CHAINED_SELECT} FROM ${table} ${where} ORDER BY seq, recorded_at LIMIT ${Math.floor(rows)}) TO STDOUT`;
}

/**
 * Verifies the audit trail in `schema` from its first remaining row to its last (DESIGN §5): every row's
 * hash, every link, seqs without gaps, the start against a signed checkpoint when older partitions were
 * dropped by retention, every stored checkpoint's signature, and the rows against every checkpoint stored or
 * kept by a witness. Rows are streamed with `COPY … TO STDOUT` in trail order, in keyset ranges over
 * `(seq, recorded_at)`, and hashed here from the bytes read ({@link CopiedRowReader}), not in the database.
 * Stops at the first problem and names the row.
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
    if (!valid(c))
      return finish({
        code: 'BAD_CHECKPOINT',
        seq: c.treeSize.toString(),
        reason: `the stored checkpoint at size ${c.treeSize} has an invalid signature`,
      });
    if (trusted.size > 0 && !trusted.has(c.keyId))
      return finish({
        code: 'BAD_CHECKPOINT',
        seq: c.treeSize.toString(),
        reason: `the stored checkpoint at size ${c.treeSize} is signed with key ${c.keyId}, which is not trusted`,
      });
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

  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    // Each range in the primary key's order, read from its index: with statistics that lag behind a trail
    // that grew fast, the planner would otherwise sort the whole remaining trail for every range.
    await client.query('SET enable_sort = off');
    const table = `"${db.schema}"."audit_entry"`;
    const [bounds] = (
      await client.query<{ lo: string | null; hi: string | null }>(
        `SELECT min(seq)::text AS lo, max(seq)::text AS hi FROM ${table}`,
      )
    ).rows;
    const total = bounds.lo === null ? 0 : Number(BigInt(bounds.hi!) - BigInt(bounds.lo) + 1n);
    let prevHash: string | undefined;
    let prevSeq = 0n;
    /** Checks one row, given the seq (text) of the row after it; returns the first problem, if any. */
    const check = (row: CopiedRow, nextSeq: string | undefined): ChainProblem | undefined => {
      const seq = BigInt(row.seq);
      // Before anything else: whichever copy of a repeated row is damaged, the repetition is what happened.
      if (nextSeq === row.seq || (prevHash !== undefined && seq === prevSeq))
        return {
          code: 'SEQ_REPEATED',
          seq: row.seq,
          reason: `row ${seq} appears more than once: each seq names exactly one row`,
        };
      if (prevHash === undefined) {
        // The first remaining row: row 1 after genesis, or a row vouched for by a checkpoint.
        report.firstSeq = row.seq;
        if (seq === 1n) {
          if (row.prevHash !== GENESIS_HASH)
            return { code: 'BROKEN_LINK', seq: '1', reason: 'row 1 does not start from the genesis hash' };
        } else {
          const anchors = expected.get(seq - 1n) ?? [];
          if (anchors.length === 0)
            return {
              code: 'NO_ANCHOR',
              seq: row.seq,
              reason: `the trail starts at row ${seq} but no signed checkpoint covers row ${seq - 1n}: rows before it are missing`,
            };
          const wrong = anchors.find((a) => a.headHash !== row.prevHash);
          if (wrong)
            return {
              code: 'BROKEN_LINK',
              seq: row.seq,
              reason: `row ${seq} does not continue the head hash at size ${seq - 1n} signed in ${wrong.source}`,
            };
          report.checkpointsMatched += anchors.length;
        }
      } else {
        if (seq !== prevSeq + 1n)
          return {
            code: 'SEQ_GAP',
            seq: (prevSeq + 1n).toString(),
            reason: `row ${prevSeq + 1n} is missing (the row after ${prevSeq} is ${seq})`,
          };
        if (row.prevHash !== prevHash)
          return {
            code: 'BROKEN_LINK',
            seq: row.seq,
            reason: `row ${seq} does not link to row ${prevSeq} (prev_hash differs): rows were removed, inserted or reordered`,
          };
      }
      const hash = row.contentHash;
      if (hash !== row.rowHash)
        return {
          code: 'ROW_ALTERED',
          seq: row.seq,
          reason: `row ${seq} does not match its row_hash: a field of it was altered`,
        };
      for (const e of expected.get(seq) ?? []) {
        if (e.headHash !== hash)
          return {
            code: 'CHECKPOINT_MISMATCH',
            seq: row.seq,
            reason: `row ${seq} has head hash ${hash.slice(0, 16)}… but ${e.source} says ${e.headHash.slice(0, 16)}…: rows up to ${seq} were rewritten`,
          };
        report.checkpointsMatched++;
      }
      prevHash = hash;
      prevSeq = seq;
      report.rowsVerified++;
      return undefined;
    };

    // Each row is checked once the row after it is known (a repeated seq is named at its first copy), the
    // last row of a range with the first of the next.
    const reader = new CopiedRowReader();
    let held: CopiedRow | undefined;
    let problem: ChainProblem | undefined;
    const checkHeld = (nextSeq: string | undefined): boolean => {
      if (!held) return true;
      problem = check(held, nextSeq);
      held = undefined;
      report.lastSeq = prevHash === undefined ? null : prevSeq.toString();
      if (!problem && report.rowsVerified % progressEvery === 0)
        opts.onProgress?.(report.rowsVerified, total);
      return !problem;
    };
    let after: CopiedRow | undefined;
    for (;;) {
      const stream = client.query(copyTo(rangeCopy(table, after, rowsPerCopy)));
      let rows = 0;
      let last: CopiedRow | undefined;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        // After a problem the rest of the range is read and dropped (at most rowsPerCopy rows), so the
        // connection ends cleanly instead of in the middle of a copy.
        if (problem) continue;
        for (const row of reader.push(chunk)) {
          rows++;
          last = row;
          if (!checkHeld(row.seq)) break;
          held = row;
        }
      }
      if (problem) return finish(problem);
      reader.end();
      if (rows < rowsPerCopy) break;
      after = last;
    }
    if (!checkHeld(undefined)) return finish(problem);
    if (report.rowsVerified % progressEvery !== 0 || report.rowsVerified === 0)
      opts.onProgress?.(report.rowsVerified, total);
    if (largest > prevSeq)
      return finish({
        code: 'TRUNCATED',
        seq: (prevSeq + 1n).toString(),
        reason: `the trail ends at row ${prevSeq} but a signed checkpoint covers ${largest} rows: rows ${prevSeq + 1n}…${largest} are missing`,
      });
    return finish();
  } finally {
    await client.end();
  }
}
