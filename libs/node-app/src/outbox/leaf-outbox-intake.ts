import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import { decodeEnvelope, type Envelope } from '#contracts';
import {
  Durables,
  ensurePostOutbox,
  Headers,
  openPostOutbox,
  Streams,
  Subjects,
  toHeaders,
  type Bus,
  type PostOutboxBus,
} from '#messaging';
import { BUS, busLogger, stopping } from '#runtime';
import { NODE_ID } from '../node-app.tokens.js';
import { OUTBOX, OutboxSender } from './outbox-sender.js';
import type { OutboxStore } from './outbox.store.js';
import { WakeablePause } from './wakeable-pause.js';

export const LEAF_OUTBOX_OPTIONS = Symbol('MSX_LEAF_OUTBOX_OPTIONS');

export interface LeafOutboxOptions {
  /** How long one pull for the next envelope waits on the leaf, in milliseconds (at least 1,000). */
  pollMs: number;
  /** Longest wait between tries while the leaf or the outbox record cannot be reached, in milliseconds. */
  maxBackoffMs: number;
}

export const DEFAULT_LEAF_OUTBOX_OPTIONS: LeafOutboxOptions = { pollMs: 2_000, maxBackoffMs: 10_000 };

/**
 * A post's node app on its own leaf node (`MSX_LEAF_OUTBOX=on`): takes what the post's processes put into the
 * outbox stream of the leaf's JetStream (`npm run post -- send`, or an agency system at the post publishing on
 * `msx.outbox.<post>`) into its outbox record, one at a time, in the order the leaf stored them. An envelope
 * leaves the leaf only once the record holds it, so neither a lost link, a stopped node app nor a database
 * outage loses one; one already in the record (taken before a crash, before its ack reached the leaf) is not
 * put there twice. What could never be sent is kept aside on the leaf, not dropped. The {@link OutboxSender}
 * sends the record on to the hub, in order, once.
 */
@Injectable()
export class LeafOutboxIntake implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = busLogger('LeafOutbox');
  private stopped = false;
  private running?: Promise<void>;
  private readonly pause = new WakeablePause();
  private held?: JsMsg;

  constructor(
    @Inject(NODE_ID) private readonly node: string,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(OUTBOX) private readonly outbox: OutboxStore,
    private readonly sender: OutboxSender,
    @Inject(LEAF_OUTBOX_OPTIONS) private readonly options: LeafOutboxOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.pause.wakeUp();
    await stopping('leaf outbox: envelope being taken', () => this.running);
    // An envelope not yet in the record goes back at once: the next start takes it first.
    try {
      this.held?.nak();
    } catch {
      // The link to the leaf is gone: the leaf offers it again after its ack wait, still first in line.
    }
  }

  private async run(): Promise<void> {
    const firstBackoff = 250;
    let backoff = firstBackoff;
    // JetStream takes no pull shorter than a second.
    const expires = Math.max(1_000, this.options.pollMs);
    while (!this.stopped) {
      try {
        const leaf = await openPostOutbox(this.bus.nc, this.node);
        await ensurePostOutbox(leaf.jsm, this.node);
        const consumer = await leaf.js.consumers.get(Streams.postOutbox, Durables.postIntake);
        this.logger.log(`taking the post's reports from the outbox on its leaf node`);
        backoff = firstBackoff;
        while (!this.stopped) {
          const m = await consumer.next({ expires });
          if (m) await this.take(leaf, m);
        }
      } catch (err) {
        if (this.stopped) break;
        // Said once per outage: the wait grows from the first try on.
        if (backoff === firstBackoff)
          this.logger.warn(
            `the outbox on the leaf node cannot be read (${(err as Error).message}); trying again`,
          );
        await this.pause.for(backoff);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
      }
    }
  }

  /** Puts one envelope from the leaf into the record, then lets the leaf drop it. */
  private async take(leaf: PostOutboxBus, m: JsMsg): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(m.data);
    } catch (err) {
      return this.setAside(leaf, m, `not an envelope (${(err as Error).message})`);
    }
    if (envelope.sender !== this.node)
      return this.setAside(leaf, m, `its sender is ${envelope.sender || '(none)'}, not ${this.node}`);
    await this.holding(m, envelope.id, async () => {
      const { seq, queued } = await this.outbox.enqueue(envelope);
      this.sender.nudge();
      this.logger.log(
        queued
          ? `took ${envelope.id} from the leaf into the outbox (#${seq})`
          : `${envelope.id} was in the outbox already (#${seq})`,
      );
    });
  }

  /**
   * Keeps what no one can ever send beside the outbox on the leaf (`msx.outbox.<post>.set-aside`, with the
   * reason and its place), logged, so that the rest can leave: nothing the post wrote is lost, not even that.
   */
  private setAside(leaf: PostOutboxBus, m: JsMsg, why: string): Promise<void> {
    return this.holding(m, `outbox #${m.seq}`, async () => {
      await leaf.js.publish(Subjects.postSetAside(this.node), m.data, {
        msgID: `set-aside-${m.seq}`,
        headers: toHeaders({ [Headers.deadLetterReason]: why, [Headers.originSequence]: String(m.seq) }),
      });
      this.logger.error(
        `outbox #${m.seq} on the leaf node (${m.data.length} bytes) cannot be sent and is set aside ` +
          `(${Subjects.postSetAside(this.node)}): ${why}`,
      );
    });
  }

  /**
   * Does `step` with the leaf's message held, first in line, until it succeeds, then lets the leaf drop the
   * message. A step that cannot be done yet (the record's database down) is tried again, the message kept
   * unacknowledged so nothing behind it overtakes. When the leaf does not confirm the drop, it offers the
   * message again after its ack wait, and the step, which takes it once, finds it done.
   */
  private async holding(m: JsMsg, what: string, step: () => Promise<void>): Promise<void> {
    this.held = m;
    let backoff = 250;
    let lastWhy = '';
    for (;;) {
      try {
        await step();
        break;
      } catch (err) {
        if (this.stopped) return;
        const why = (err as Error).message;
        if (why !== lastWhy) this.logger.warn(`${what} cannot be taken from the leaf yet (${why})`);
        lastWhy = why;
        m.working();
        await this.pause.for(backoff);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
      }
    }
    const dropped = await m.ackAck().catch(() => false);
    this.held = undefined;
    if (!dropped)
      this.logger.warn(
        `the leaf did not confirm that ${what} left it; it will offer it again, which changes nothing`,
      );
  }
}
