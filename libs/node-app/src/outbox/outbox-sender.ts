import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { publishDurably, Subjects, type Bus } from '#messaging';
import { BUS, busLogger, stopping } from '#runtime';
import { NODE_ID } from '../node-app.tokens.js';
import type { OutboxStore } from './outbox.store.js';
import { WakeablePause } from './wakeable-pause.js';

export const OUTBOX = Symbol('MSX_OUTBOX');
export const OUTBOX_OPTIONS = Symbol('MSX_OUTBOX_OPTIONS');

/** How the outbox is sent. */
export interface OutboxOptions {
  /** How long to wait for the exchange's confirmation of one envelope, in milliseconds. */
  ackTimeoutMs: number;
  /** How often to look for new envelopes when the outbox is empty, in milliseconds. */
  pollMs: number;
  /** Longest wait between tries while the exchange cannot be reached, in milliseconds. */
  maxBackoffMs: number;
}

export const DEFAULT_OUTBOX_OPTIONS: OutboxOptions = {
  ackTimeoutMs: 5_000,
  pollMs: 500,
  maxBackoffMs: 10_000,
};

/**
 * Sends a node's outbox to the exchange, in the order written, each envelope exactly once: the oldest not yet
 * confirmed is published on the node's submit subject with its id as the broker's message id, and the next
 * is not sent before the submit stream has confirmed it. While the link is down the head is tried again,
 * with growing waits; an envelope stored whose confirmation was lost is sent again under the same id, which
 * the submit stream and the router's ledger both recognise, so it is routed once.
 */
@Injectable()
export class OutboxSender implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = busLogger('Outbox');
  private stopped = false;
  private running?: Promise<void>;
  private readonly pause = new WakeablePause();

  constructor(
    @Inject(NODE_ID) private readonly node: string,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(OUTBOX) private readonly outbox: OutboxStore,
    @Inject(OUTBOX_OPTIONS) private readonly options: OutboxOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.pause.wakeUp();
    await stopping('outbox: publish under way', () => this.running);
  }

  /** Looks at the outbox now instead of at the next poll (after something was written to it). */
  nudge(): void {
    this.pause.wakeUp();
  }

  private async run(): Promise<void> {
    let backoff = 250;
    let down = false;
    while (!this.stopped) {
      let head;
      try {
        head = await this.outbox.head();
      } catch (err) {
        this.logger.error(`the outbox cannot be read: ${(err as Error).message}`);
        await this.pause.for(this.options.maxBackoffMs);
        continue;
      }
      if (!head) {
        await this.pause.for(this.options.pollMs);
        continue;
      }
      try {
        const ack = await publishDurably(this.bus.js, Subjects.submit(this.node), head.bytes, {
          msgID: head.messageId,
          timeoutMs: this.options.ackTimeoutMs,
          attempts: 1,
        });
        await this.outbox.sent(head.seq, ack.seq);
        if (down) this.logger.log('the exchange confirms again: sending what waited');
        down = false;
        backoff = 250;
        this.logger.log(
          `sent ${head.messageId} (outbox #${head.seq})${ack.duplicate ? ', stored before: its confirmation had been lost' : ''}`,
        );
      } catch (err) {
        const why = (err as Error).message;
        await this.outbox.failed(head.seq, why).catch(() => undefined);
        if (!down) {
          const waiting = await this.outbox.waiting().catch(() => 0);
          this.logger.warn(
            `the exchange does not confirm (${why}); ${waiting} envelope(s) wait in the outbox`,
          );
        }
        down = true;
        await this.pause.for(backoff);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
      }
    }
  }
}
