import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { encodeAuditCheckpoint, newAuditCheckpoint } from '#contracts';
import {
  signCheckpointAt,
  type AuditCheckpointStore,
  type AuditRepository,
  type AuditSigningKey,
  type SignedCheckpoint,
} from '#audit-store';
import { publishDurably, Subjects, type Bus } from '#messaging';
import { BUS, busLogger } from '#runtime';
import { AUDIT_CHECKPOINT_STORE, AUDIT_REPOSITORY } from '../audit.tokens.js';

/** Injection token of {@link CheckpointerOptions}. */
export const CHECKPOINTER_OPTIONS = Symbol('MSX_CHECKPOINTER_OPTIONS');

export interface CheckpointerOptions {
  key: AuditSigningKey;
  /** Name of the trail in its checkpoints. */
  logId: string;
  /** Sign after this many new rows. */
  everyRows: number;
  /** Or after this many milliseconds, when rows were added. */
  everyMs: number;
}

/**
 * Signs a checkpoint (tree size, head hash, time, key id) every N rows or T seconds, and once more on a clean
 * stop, stores it in `audit_checkpoint` and publishes it on `msx.checkpoint.audit` for the witnesses. A
 * checkpoint that could not be published is published again at the next tick; the stream deduplicates by log
 * id and size. Rows after the last checkpoint could be removed from the end of the trail undetected, so a
 * stop leaves none behind when it can.
 */
@Injectable()
export class AuditCheckpointer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = busLogger('Checkpoint');
  private rowsSinceCheckpoint = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private again = false;
  private unpublished?: SignedCheckpoint;
  private stopping = false;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(AUDIT_REPOSITORY) private readonly repository: AuditRepository,
    @Inject(AUDIT_CHECKPOINT_STORE) private readonly store: AuditCheckpointStore,
    @Inject(CHECKPOINTER_OPTIONS) private readonly opts: CheckpointerOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { key } = this.opts;
    this.logger.log(
      `checkpoints of ${this.opts.logId} are signed with Ed25519 key ${key.keyId}` +
        (key.generated ? ` (made now in ${key.path}; set MSX_AUDIT_SIGNING_KEY_FILE in production)` : ''),
    );
    // After a restart the last checkpoint may not have reached the stream; publishing it again is harmless.
    this.unpublished = await this.store.latest().catch(() => undefined);
    this.timer = setInterval(() => this.checkpointSoon(), this.opts.everyMs);
    this.checkpointSoon();
  }

  /**
   * Stops the timer and signs a last checkpoint of everything recorded, if anything is uncovered. Nest calls it
   * after the audit consumer has stopped (the consumer depends on the checkpointer) and before the data source
   * and the bus close (the checkpointer depends on both), so it covers the last row this process wrote.
   */
  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    while (this.running) await this.running;
    try {
      const made = await this.checkpoint();
      if (made)
        this.logger.log(`signed checkpoint size ${made.treeSize} at shutdown: no row is left uncovered`);
    } catch (err) {
      this.logger.warn(
        `no checkpoint at shutdown: ${(err as Error).message}; rows after the last one stay uncovered until the next start`,
      );
    }
  }

  /** Tells the checkpointer that `rows` new rows were committed. */
  recorded(rows: number): void {
    this.rowsSinceCheckpoint += rows;
    if (this.rowsSinceCheckpoint >= this.opts.everyRows) this.checkpointSoon();
  }

  /** Starts a checkpoint unless one is running, in which case another follows it. */
  checkpointSoon(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.checkpoint()
      .catch((err: unknown) => this.logger.warn(`no checkpoint this time: ${(err as Error).message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.checkpointSoon();
        }
      });
  }

  /** Signs, stores and publishes a checkpoint of the current head, if it moved since the last one. */
  async checkpoint(): Promise<SignedCheckpoint | undefined> {
    const head = await this.repository.head();
    const latest = await this.store.latest();
    let made: SignedCheckpoint | undefined;
    if (head.treeSize > 0n && (!latest || latest.treeSize < head.treeSize)) {
      this.rowsSinceCheckpoint = 0;
      made = signCheckpointAt(this.opts.key, this.opts.logId, head.treeSize, head.headHash);
      await this.store.save(made);
      this.unpublished = made;
    }
    if (this.unpublished) {
      const c = this.unpublished;
      await publishDurably(
        this.bus.js,
        Subjects.checkpointAudit,
        encodeAuditCheckpoint(newAuditCheckpoint(c, c.signature, c.publicKey)),
        { msgID: `checkpoint:${c.logId}:${c.treeSize}` },
      );
      if (this.unpublished === c) this.unpublished = undefined;
      if (made) this.logger.log(`checkpoint ${c.logId} size ${c.treeSize} head ${c.headHash.slice(0, 16)}…`);
    }
    return made;
  }
}
