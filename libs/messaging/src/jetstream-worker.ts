import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { MsxError } from '#contracts';
import type { Bus, BusLogger } from './connection.js';
import { publishDeadLetter, type DeadLetterReason, type DeadLetterSink } from './dead-letter.js';
import type { ConsumerSpec } from './topology.js';

/** A message taken from a stream together with its decoded value. */
export interface Received<T> {
  msg: JsMsg;
  value: T;
}

export interface JetStreamWorkerOptions<T> {
  bus: Bus;
  consumer: ConsumerSpec;
  /** The service that consumes, used in the dead-letter subject `msx.dlq.<service>`. */
  service: string;
  /**
   * Where messages given up on go. Default: the dead-letter subject `msx.dlq.<service>`
   * ({@link publishDeadLetter}), as core services do. A node passes `auditDeadLetters`: it may not
   * write to the dead-letter stream, so the message stays in its stream and only the audit event records it.
   */
  deadLetters?: DeadLetterSink;
  /** Turns the bytes into a value; a throw is permanent: the message is given up on (see `deadLetters`). */
  decode(msg: JsMsg): T;
  /**
   * Does and commits the work for a batch. Resolving means committed: every message of the batch is acked.
   * Throwing a retryable error (or any non-MsxError) naks the batch with a delay, and dead-letters a message
   * that keeps failing until `maxDeliver`; a hold (`MsxError.hold`) is retried without limit and does not count
   * towards `maxDeliver`; throwing a permanent MsxError retries each message alone, so only the offending one
   * is dead-lettered.
   */
  handle(batch: Received<T>[]): Promise<void>;
  /** Largest batch handed to `handle`. */
  batchSize?: number;
  /**
   * Batches worked on at once. 1 (the default) keeps order: a node reads its inbox in order. Services whose
   * messages are independent (the router) take many at once, so one slow message does not hold the others.
   */
  concurrency?: number;
  /** First redelivery delay in milliseconds; doubles with each delivery up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  /** Longest redelivery delay in milliseconds; default 30 s. */
  maxRetryDelayMs?: number;
  /**
   * Records that a message is being given up on, for example in the audit trail. Called before the message
   * goes to the dead-letter sink; until both succeeded the worker keeps trying, and never hands the message to
   * `handle` again.
   */
  onDeadLetter?(msg: JsMsg, reason: DeadLetterReason): Promise<void>;
  logger?: BusLogger;
  /** How long to wait at start for the consumer to be provisioned, in milliseconds. */
  waitForConsumerMs?: number;
}

/** Messages whose failures one worker keeps count of at once. */
const MAX_TRACKED_FAILURES = 100_000;
const MAX_RETRY_DELAY_MS = 30_000;

function reasonOf(err: unknown): DeadLetterReason {
  if (err instanceof MsxError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL.UNEXPECTED', message: err instanceof Error ? err.message : String(err) };
}

function isPermanent(err: unknown): boolean {
  return err instanceof MsxError && !err.retryable;
}

/** Waits until a durable consumer exists (it is created by provisioning) and returns it. */
export async function waitForConsumer(
  bus: Bus,
  spec: ConsumerSpec,
  timeoutMs: number,
  logger?: BusLogger,
): Promise<Consumer> {
  const deadline = Date.now() + timeoutMs;
  let warned = false;
  for (;;) {
    try {
      const consumer = await bus.js.consumers.get(spec.stream, spec.durable);
      await consumer.info();
      return consumer;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new MsxError('BUS.CONSUMER_MISSING', `consumer ${spec.stream}/${spec.durable} does not exist`, {
          cause: err,
        });
      }
      if (!warned) logger?.warn(`waiting for consumer ${spec.stream}/${spec.durable} to be provisioned`);
      warned = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * The consumer base of MSX: pulls from a durable consumer, hands batches to `handle`, acks only after the
 * handler has committed, naks retryable failures with a growing delay, and gives permanent failures (and
 * messages that keep failing until `maxDeliver`) to the dead-letter sink. Nothing is dropped silently.
 *
 * The dead-letter sink holds only what was really given up: giving up is decided once, recorded first
 * (`onDeadLetter`), then the message goes to the sink and is terminated. While a step fails the worker retries
 * the remaining steps itself, keeping the message from being redelivered meanwhile, rather than nak it: a
 * nak'ed message would be handled again and could be stored after all, with its copy left in the sink. Only
 * a stop in the middle naks it.
 */
export class JetStreamWorker<T> {
  private messages?: ConsumerMessages;
  private readonly queue: JsMsg[] = [];
  private wake?: () => void;
  private closed = false;
  private pump?: Promise<void>;
  private worker?: Promise<void>;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly deadLetters: DeadLetterSink;
  /**
   * Failed deliveries of a message (by stream sequence) counted by this process, holds excluded. Counted
   * here rather than derived from the server's delivery count, so that deliveries held before a restart (or
   * by another instance) never count as failures: after a restart the count starts again, erring towards
   * retrying. Bounded: the oldest entries go first.
   */
  private readonly failures = new Map<number, number>();
  private stopping = false;
  private readonly stopped: Promise<void>;
  private signalStop!: () => void;

  constructor(private readonly opts: JetStreamWorkerOptions<T>) {
    this.batchSize = opts.batchSize ?? 1;
    this.concurrency = opts.concurrency ?? 1;
    this.retryDelayMs = opts.retryDelayMs ?? 1_000;
    this.maxRetryDelayMs = Math.max(opts.maxRetryDelayMs ?? MAX_RETRY_DELAY_MS, this.retryDelayMs);
    this.stopped = new Promise((resolve) => (this.signalStop = resolve));
    this.deadLetters =
      opts.deadLetters ?? ((msg, reason) => publishDeadLetter(opts.bus.js, opts.service, msg, reason));
  }

  async start(): Promise<void> {
    const consumer = await waitForConsumer(
      this.opts.bus,
      this.opts.consumer,
      this.opts.waitForConsumerMs ?? 60_000,
      this.opts.logger,
    );
    this.messages = await consumer.consume({
      max_messages: Math.max(this.batchSize * this.concurrency * 2, 16),
    });
    const messages = this.messages;
    this.pump = (async () => {
      for await (const m of messages) {
        this.queue.push(m);
        this.wake?.();
      }
      this.closed = true;
      this.wake?.();
    })();
    this.worker = this.run();
  }

  /** Stops pulling, finishes the messages already taken, and returns when they are settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.signalStop();
    this.messages?.stop();
    await this.pump;
    await this.worker;
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.inFlight.size >= this.concurrency) {
        await Promise.race(this.inFlight);
        continue;
      }
      if (this.queue.length === 0) {
        if (this.closed) {
          await Promise.all(this.inFlight);
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const batch = this.queue.splice(0, this.batchSize);
      const work = this.process(batch)
        .catch((err: unknown) => {
          // Settling failed (connection lost mid-ack): the server redelivers after ack_wait.
          this.opts.logger?.error(`could not settle a batch of ${batch.length}: ${(err as Error).message}`);
        })
        .finally(() => {
          this.inFlight.delete(work);
          this.wake?.();
        });
      this.inFlight.add(work);
    }
  }

  private async process(msgs: JsMsg[]): Promise<void> {
    const batch: Received<T>[] = [];
    for (const msg of msgs) {
      try {
        batch.push({ msg, value: this.opts.decode(msg) });
      } catch (err) {
        await this.deadLetter(msg, reasonOf(err));
      }
    }
    if (batch.length === 0) return;
    try {
      await this.opts.handle(batch);
      for (const { msg } of batch) {
        this.failures.delete(msg.info.streamSequence);
        msg.ack();
      }
    } catch (err) {
      if (isPermanent(err) && batch.length > 1) {
        for (const item of batch) await this.process([item.msg]);
        return;
      }
      for (const { msg } of batch) await this.fail(msg, err);
    }
  }

  private async fail(msg: JsMsg, err: unknown): Promise<void> {
    const reason = reasonOf(err);
    if (isPermanent(err)) return this.deadLetter(msg, reason);
    const seq = msg.info.streamSequence;
    const hold = err instanceof MsxError && err.hold;
    const failures = (this.failures.get(seq) ?? 0) + (hold ? 0 : 1);
    if (!hold) {
      this.failures.delete(seq);
      this.failures.set(seq, failures);
      if (this.failures.size > MAX_TRACKED_FAILURES) this.failures.delete(this.failures.keys().next().value!);
    }
    if (!hold && failures >= this.opts.consumer.maxDeliver) {
      return this.deadLetter(msg, {
        code: 'BUS.MAX_DELIVERIES',
        message: `gave up after ${failures} failed deliveries; last error ${reason.code}: ${reason.message}`,
      });
    }
    const delay = this.backoff(msg.info.deliveryCount);
    this.opts.logger?.warn(
      `${reason.code} on ${msg.subject} #${seq}, ${hold ? 'held' : 'retry'} in ${delay} ms: ${reason.message}`,
    );
    msg.nak(delay);
  }

  /** The delay before attempt `n + 1`, in milliseconds: doubling from retryDelayMs up to maxRetryDelayMs. */
  private backoff(n: number): number {
    return Math.min(this.retryDelayMs * 2 ** Math.min(Math.max(n - 1, 0), 30), this.maxRetryDelayMs);
  }

  /**
   * Gives up on a message: records it (`onDeadLetter`), hands it to the dead-letter sink, terminates it. The
   * decision is not revisited: a failed step is retried here until it succeeds (the message is kept from
   * redelivery meanwhile), so the sink never holds a message that was stored after all. Only a stop in the
   * middle naks it.
   */
  private async deadLetter(msg: JsMsg, reason: DeadLetterReason): Promise<void> {
    const seq = msg.info.streamSequence;
    let recorded = false;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!recorded) await this.opts.onDeadLetter?.(msg, reason);
        recorded = true;
        await this.deadLetters(msg, reason);
        this.failures.delete(seq);
        this.opts.logger?.warn(`dead-lettered ${msg.subject} #${seq}: ${reason.code}`);
        // No reason text: nats-server 2.9 ignores '+TERM <reason>' and would redeliver.
        msg.term();
        return;
      } catch (err) {
        if (this.stopping) {
          this.opts.logger?.error(
            `could not dead-letter ${msg.subject} #${seq} before stopping; it comes back: ${(err as Error).message}`,
          );
          msg.nak(this.retryDelayMs);
          return;
        }
        // Well within the ack wait, so the server does not hand the message to anyone else meanwhile.
        const delay = Math.min(this.backoff(attempt), this.opts.consumer.ackWaitMs / 3);
        this.opts.logger?.error(
          `could not dead-letter ${msg.subject} #${seq}, retrying in ${delay} ms: ${(err as Error).message}`,
        );
        try {
          msg.working();
        } catch {
          // The connection is down: the message may be redelivered, and is settled when it comes back.
        }
        await this.pause(delay);
      }
    }
  }

  /** Waits `ms`, or less when the worker is stopped. */
  private async pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((r) => (timer = setTimeout(r, ms))), this.stopped]);
    clearTimeout(timer);
  }
}
