import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { GENESIS_HASH } from './audit-chain.js';
import { CHAINED_SELECT } from './chained-row.js';
import { CopiedRowReader, type CopiedRow } from './copy-rows.js';
import type { ChainProblem } from './verify-audit-chain.js';

/** What a signed checkpoint (stored or kept by a witness) says the head hash at its size must be. */
export interface HeadExpectation {
  headHash: string;
  /** Where it comes from, for the auditor: "the checkpoint kept by witness jot-mare, signed …". */
  source: string;
}

/**
 * One stretch of the trail for one reader: the rows whose seq lies in `from…to` (both inclusive; open-ended
 * when null). Plain data, so that it can be handed to a worker thread.
 */
export interface RangeTask {
  url: string;
  /** The quoted `audit_entry` table, `"<schema>"."audit_entry"`. */
  table: string;
  from: string | null;
  to: string | null;
  /**
   * True for the stretch that starts the trail: its first row is checked against genesis or a checkpoint.
   * Any other stretch's first row is linked to the row before it by whoever put the stretches together
   * ({@link RangeResult.first}).
   */
  startsTrail: boolean;
  /** Head hashes the signed checkpoints require, by size (decimal). */
  expectations: [string, HeadExpectation[]][];
  rowsPerCopy: number;
  /** Rows between two calls of `onRows`. */
  reportEvery: number;
}

/** What a reader found in its stretch. */
export interface RangeResult {
  /** Rows verified, before the problem if there is one. */
  rows: number;
  /** The first row read (even when it is the one with the problem): the stretch's link to the row before. */
  first?: { seq: string; prevHash: string };
  /** The last row verified. */
  last?: { seq: string; rowHash: string };
  /** The first problem in the stretch; reading stops there. */
  problem?: ChainProblem;
  /**
   * The problem is a repetition of the stretch's first row: in trail order it comes before the first row's
   * link to the stretch before, which is checked when the stretches are put together.
   */
  problemBeforeLink?: boolean;
  /** Checkpoints whose size lay in the stretch and whose head hash matched. */
  checkpointsMatched: number;
}

const DIGITS = /^-?\d+$/;

function digits(value: string, what: string): string {
  if (!DIGITS.test(value)) throw new Error(`${what} ${value} is not an integer`);
  return value;
}

/**
 * The COPY of up to `rows` rows of the stretch after `after` (from its start when absent) in trail order. The
 * bounds are written into the statement (COPY takes no parameters): all are integers, checked to be digits.
 */
function rangeCopy(task: RangeTask, after: CopiedRow | undefined, rows: number): string {
  const where: string[] = [];
  if (task.from !== null) where.push(`seq >= ${digits(task.from, 'seq')}::int8`);
  if (task.to !== null) where.push(`seq <= ${digits(task.to, 'seq')}::int8`);
  if (after) {
    const seq = digits(after.seq, `the seq of row`);
    const us = digits(after.recordedAtUs, `the recorded_at of row ${after.seq}`);
    where.push(
      `(seq, recorded_at) > (${seq}::int8, 'epoch'::timestamptz + ${us}::int8 * interval '1 microsecond')`,
    );
  }
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  return `COPY (SELECT ${CHAINED_SELECT} FROM ${task.table} ${filter} ORDER BY seq, recorded_at LIMIT ${Math.floor(rows)}) TO STDOUT`;
}

/**
 * Verifies one stretch of the trail (DESIGN §5): every row's hash, every link inside the stretch, seqs without
 * gaps or repeats, and the rows against the checkpoints. Rows are streamed with `COPY … TO STDOUT` in trail
 * order, in keyset ranges of `rowsPerCopy` over `(seq, recorded_at)`, and hashed here from the bytes read.
 * Stops at the first problem. `onRows` is told of every `reportEvery` rows verified.
 */
export async function verifyRange(task: RangeTask, onRows?: (rows: number) => void): Promise<RangeResult> {
  const expected = new Map<bigint, HeadExpectation[]>(task.expectations.map(([k, v]) => [BigInt(k), v]));
  const result: RangeResult = { rows: 0, checkpointsMatched: 0 };
  let prevHash: string | undefined;
  let prevSeq = 0n;

  /** Checks one row, given the seq (text) of the row after it; returns the first problem, if any. */
  const check = (row: CopiedRow, nextSeq: string | undefined): ChainProblem | undefined => {
    const seq = BigInt(row.seq);
    const first = prevHash === undefined;
    if (first) result.first = { seq: row.seq, prevHash: row.prevHash };
    // Before anything else: whichever copy of a repeated row is damaged, the repetition is what happened.
    if (nextSeq === row.seq || (!first && seq === prevSeq)) {
      result.problemBeforeLink = first;
      return {
        code: 'SEQ_REPEATED',
        seq: row.seq,
        reason: `row ${seq} appears more than once: each seq names exactly one row`,
      };
    }
    if (first && task.startsTrail) {
      // The first remaining row: row 1 after genesis, or a row vouched for by a checkpoint.
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
        result.checkpointsMatched += anchors.length;
      }
    } else if (!first) {
      const problem = linkProblemAt(prevSeq, prevHash!, seq, row.prevHash);
      if (problem) return problem;
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
      result.checkpointsMatched++;
    }
    prevHash = hash;
    prevSeq = seq;
    result.rows++;
    return undefined;
  };

  const client = new pg.Client({ connectionString: task.url });
  await client.connect();
  try {
    // Each range in the primary key's order, read from its index: with statistics that lag behind a trail
    // that grew fast, the planner would otherwise sort the whole remaining trail for every range.
    await client.query('SET enable_sort = off');
    // Each row is checked once the row after it is known (a repeated seq is named at its first copy), the
    // last row of a range with the first of the next.
    const reader = new CopiedRowReader();
    let held: CopiedRow | undefined;
    const checkHeld = (nextSeq: string | undefined): boolean => {
      if (!held) return true;
      result.problem = check(held, nextSeq);
      held = undefined;
      if (prevHash !== undefined) result.last = { seq: prevSeq.toString(), rowHash: prevHash };
      if (!result.problem && result.rows % task.reportEvery === 0) onRows?.(result.rows);
      return !result.problem;
    };
    let after: CopiedRow | undefined;
    for (;;) {
      const stream = client.query(copyTo(rangeCopy(task, after, task.rowsPerCopy)));
      let rows = 0;
      let last: CopiedRow | undefined;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        // After a problem the rest of the range is read and dropped (at most rowsPerCopy rows), so the
        // connection ends cleanly instead of in the middle of a copy.
        if (result.problem) continue;
        for (const row of reader.push(chunk)) {
          rows++;
          last = row;
          if (!checkHeld(row.seq)) break;
          held = row;
        }
      }
      if (result.problem) return result;
      reader.end();
      if (rows < task.rowsPerCopy) break;
      after = last;
    }
    checkHeld(undefined);
    return result;
  } finally {
    await client.end();
  }
}

/** The problem, if any, with `row` following `before`: a seq skipped, or a `prev_hash` that is not its hash. */
export function linkProblem(
  before: { seq: string; rowHash: string },
  row: { seq: string; prevHash: string },
): ChainProblem | undefined {
  return linkProblemAt(BigInt(before.seq), before.rowHash, BigInt(row.seq), row.prevHash);
}

/** {@link linkProblem} of seqs already read, as the verifier has them for every row. */
function linkProblemAt(
  prevSeq: bigint,
  rowHashBefore: string,
  seq: bigint,
  prevHash: string,
): ChainProblem | undefined {
  if (seq !== prevSeq + 1n)
    return {
      code: 'SEQ_GAP',
      seq: (prevSeq + 1n).toString(),
      reason: `row ${prevSeq + 1n} is missing (the row after ${prevSeq} is ${seq})`,
    };
  if (prevHash !== rowHashBefore)
    return {
      code: 'BROKEN_LINK',
      seq: seq.toString(),
      reason: `row ${seq} does not link to row ${prevSeq} (prev_hash differs): rows were removed, inserted or reordered`,
    };
  return undefined;
}
