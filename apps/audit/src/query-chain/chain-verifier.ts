import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  checkpointProblem,
  linkProblem,
  verifyRange,
  type AuditCheckpointStore,
  type AuditRepository,
  type ChainProblem,
  type HeadExpectation,
  type SignedCheckpoint,
} from '#audit-store';
import type { ChainStatus, WitnessConfirmation } from '#contracts';
import { busLogger } from '#runtime';
import type { ChainRows } from './chain-rows.js';
import type { WitnessConfirmations } from './witness-confirmations.js';

/** How the chain is verified, and how much one check may read. */
export interface ChainVerifierOptions {
  db: { url: string; schema: string };
  /** Key ids allowed to sign checkpoints (the audit service's own). */
  trustedKeyIds: ReadonlySet<string>;
  /** Rows after the last one verified that one check verifies at most. */
  rowsPerCheck: number;
  /** Rows already verified that one check verifies again at most (the re-check round, from the trail's start). */
  recheckRowsPerCheck: number;
  /** Milliseconds between two checks once every row has been verified; while behind, checks follow at once. */
  everyMs: number;
  /** Longest a status request waits for a check that starts after it, in milliseconds. */
  requestWaitMs: number;
}

/** Defaults: at most 100,000 rows read per check, a check every 10 s, a request waiting at most 5 s. */
export const DEFAULT_CHAIN_VERIFIER_OPTIONS = {
  rowsPerCheck: 50_000,
  recheckRowsPerCheck: 50_000,
  everyMs: 10_000,
  requestWaitMs: 5_000,
} as const;

/** The last row verified, to which the next row must link. */
interface Verified {
  seq: bigint;
  rowHash: string;
}

/** Rows read per COPY: each COPY holds a share lock on the trail while it runs. */
const ROWS_PER_COPY = 10_000;

/**
 * Verifies the audit trail incrementally and keeps the result (DESIGN §5), with the store's own range
 * verifier ({@link verifyRange}, {@link linkProblem}, {@link checkpointProblem}): every row's hash, every
 * link, seqs without gaps or repeats, the start against a checkpoint after retention, every stored
 * checkpoint's signature and head hash. Each check reads at most {@link ChainVerifierOptions.rowsPerCheck}
 * rows after the last one verified (following the head), and at most
 * {@link ChainVerifierOptions.recheckRowsPerCheck} rows already verified again, in a round from the trail's
 * start, so that a row altered after it was verified is found within one round. No check reads the whole
 * trail, whatever its length. A break, once found, is kept until the service restarts (and verifies afresh):
 * the trail is append-only, so nothing legitimate repairs it.
 */
export class ChainVerifier implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = busLogger('ChainVerifier');
  /** The last row verified in order from the trail's first. */
  private follow?: Verified;
  private followRecordedAt?: string;
  private rows = 0;
  /** Where the re-check round stands; undefined at the start of a round. */
  private recheck?: Verified;
  private problem?: ChainProblem;
  private checkedAt?: Date;
  private lastCheckpoint?: { checkpoint: SignedCheckpoint; witnesses: WitnessConfirmation[] };
  /** Whether the last check stopped short of the head. */
  private behind = false;
  private running?: Promise<void>;
  private queued?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly repository: AuditRepository,
    private readonly checkpoints: AuditCheckpointStore,
    private readonly chainRows: ChainRows,
    private readonly witnesses: WitnessConfirmations,
    private readonly opts: ChainVerifierOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** Checks now, then every {@link ChainVerifierOptions.everyMs} (at once while behind the head). */
  start(): void {
    const tick = () => {
      void this.refresh().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.behind ? 0 : this.opts.everyMs);
      });
    };
    tick();
  }

  /** Stops the schedule and waits for a check under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    while (this.running ?? this.queued) await (this.queued ?? this.running);
  }

  /**
   * The status after a check that started after this call (waiting at most
   * {@link ChainVerifierOptions.requestWaitMs}; the status kept so far when it takes longer).
   */
  async status(): Promise<ChainStatus> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.refresh(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.opts.requestWaitMs))),
    ]);
    clearTimeout(timer);
    return this.snapshot();
  }

  /** What is known now, without checking. */
  snapshot(): ChainStatus {
    const c = this.lastCheckpoint;
    return {
      status: !this.checkedAt ? 'unverified' : this.problem ? 'broken' : 'intact',
      checkedAt: this.checkedAt?.toISOString() ?? null,
      verifiedThrough:
        this.follow && this.followRecordedAt
          ? { seq: this.follow.seq.toString(), recordedAt: this.followRecordedAt }
          : null,
      rows: this.rows,
      firstBreak: this.problem ? { seq: this.problem.seq ?? '0', reason: this.problem.reason } : null,
      lastCheckpoint: c
        ? {
            seq: c.checkpoint.treeSize.toString(),
            rowHash: c.checkpoint.headHash,
            signedAt: new Date(c.checkpoint.signedAtMs).toISOString(),
            witnesses: c.witnesses,
          }
        : null,
    };
  }

  /** Runs a check that starts after this call: the one queued behind a check under way, or a new one. */
  refresh(): Promise<void> {
    if (!this.running) {
      this.running = this.check().finally(() => (this.running = undefined));
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.refresh();
    });
    return this.queued;
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    try {
      // The checkpoint before the head: a checkpoint covers committed rows only, so read in this order it
      // never covers more than the head, unless rows are missing.
      const latest = await this.checkpoints.latest();
      const head = (await this.repository.head()).treeSize;
      const first = await this.chainRows.firstSeq();
      if (first !== undefined) {
        if (!this.problem) await this.advance(first, head);
        await this.recheckSome(first);
      }
      if (latest) {
        const bad = checkpointProblem(latest, this.opts.trustedKeyIds);
        if (bad) this.found(bad);
        else if (latest.treeSize > head)
          this.found({
            code: 'TRUNCATED',
            seq: (head + 1n).toString(),
            reason: `the trail ends at row ${head} but a signed checkpoint covers ${latest.treeSize} rows: rows ${head + 1n}…${latest.treeSize} are missing`,
          });
        this.lastCheckpoint = { checkpoint: latest, witnesses: await this.witnesses.of(latest) };
      } else {
        this.lastCheckpoint = undefined;
      }
      this.behind = !this.problem && (this.follow?.seq ?? 0n) < head;
      this.checkedAt = new Date();
    } catch (err) {
      // The status kept so far stands, with its time; the next check tries again.
      this.behind = false;
      this.logger.warn(`the audit chain could not be checked now: ${(err as Error).message}`);
    }
  }

  /** Verifies up to rowsPerCheck rows after the last one verified, linked to it. */
  private async advance(first: bigint, head: bigint): Promise<void> {
    const from = this.follow ? this.follow.seq + 1n : first;
    if (from > head) return;
    const to = from + BigInt(this.opts.rowsPerCheck) - 1n;
    const r = await this.verify(this.follow, from, to);
    this.rows += r.rows;
    if (r.last) {
      this.follow = r.last;
      this.followRecordedAt = await this.chainRows.recordedAtOf(r.last.seq);
    }
    if (r.problem) this.found(r.problem);
    else if (!r.last && from <= head)
      // Rows from…to are all missing, yet the trail goes on to the head.
      this.found({
        code: 'SEQ_GAP',
        seq: from.toString(),
        reason: `row ${from} is missing (the trail goes on to row ${head})`,
      });
  }

  /** Verifies again up to recheckRowsPerCheck rows the follow has verified, continuing the round. */
  private async recheckSome(first: bigint): Promise<void> {
    const end = this.follow?.seq;
    if (end === undefined) return;
    const from = this.recheck ? this.recheck.seq + 1n : first;
    const to = from + BigInt(this.opts.recheckRowsPerCheck) - 1n;
    const r = await this.verify(this.recheck, from, to < end ? to : end);
    if (r.problem) this.found(r.problem);
    // The next check goes on from here, or starts the next round from the trail's start.
    this.recheck = !r.problem && r.last && r.last.seq < end ? r.last : undefined;
  }

  /**
   * Verifies rows `from…to` with the store's range verifier, against the stored checkpoints in that range,
   * linking the first row to `before` (or, without it, to genesis or the checkpoint before the trail's start).
   */
  private async verify(
    before: Verified | undefined,
    from: bigint,
    to: bigint,
  ): Promise<{ rows: number; last?: Verified; problem?: ChainProblem }> {
    const expectations = new Map<string, HeadExpectation[]>();
    for (const c of await this.checkpoints.between(from - 1n, to)) {
      const bad = checkpointProblem(c, this.opts.trustedKeyIds);
      if (bad) return { rows: 0, problem: bad };
      const size = c.treeSize.toString();
      expectations.set(size, [
        ...(expectations.get(size) ?? []),
        {
          headHash: c.headHash,
          source: `the stored checkpoint signed ${new Date(c.signedAtMs).toISOString()}`,
        },
      ]);
    }
    const r = await verifyRange({
      url: this.opts.db.url,
      table: `"${this.opts.db.schema}"."audit_entry"`,
      // The trail's first row is found by the verifier, after whatever retention dropped.
      from: before ? from.toString() : null,
      to: to.toString(),
      startsTrail: !before,
      expectations: [...expectations],
      rowsPerCopy: ROWS_PER_COPY,
      reportEvery: Number.MAX_SAFE_INTEGER,
    });
    if (r.problem && r.problemBeforeLink) return { rows: 0, problem: r.problem };
    if (before && r.first) {
      const broken = linkProblem({ seq: before.seq.toString(), rowHash: before.rowHash }, r.first);
      if (broken) return { rows: 0, problem: broken };
    }
    const last = r.last ? { seq: BigInt(r.last.seq), rowHash: r.last.rowHash } : undefined;
    return { rows: r.rows, last, problem: r.problem };
  }

  /** Keeps the first break in trail order. */
  private found(p: ChainProblem): void {
    const seq = (q: ChainProblem) => BigInt(q.seq ?? '0');
    if (!this.problem || seq(p) < seq(this.problem)) {
      if (!this.problem) this.logger.error(`the audit chain is broken at row ${p.seq ?? '?'}: ${p.code}`);
      this.problem = p;
    }
  }
}
