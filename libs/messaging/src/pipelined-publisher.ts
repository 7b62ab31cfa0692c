import {
  JetStreamApiError,
  JetStreamError,
  type JetStreamClient,
  type JetStreamPublishOptions,
  type PubAck,
} from '@nats-io/jetstream';
import {
  createInbox,
  headers as natsHeaders,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

/** How often publishes whose ack is overdue are failed. */
const SWEEP_MS = 100;

/** A publish waiting for the stream's ack. */
interface Waiting {
  resolve(ack: PubAck): void;
  reject(err: Error): void;
  /** When it fails for want of an ack (ms since the epoch). */
  deadline: number;
  subject: string;
}

/** The stream's answer to a publish. */
interface AckAnswer {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  domain?: string;
  error?: { code: number; err_code: number; description: string };
}

const decoder = new TextDecoder();

/**
 * JetStream publishes with their acks collected on one subscription. The client's own `publish` makes each
 * publish a request: a subscription entry, a timer and a deferred of its own, and an Error object built on
 * every *successful* request (the client cancels the request with one once it is answered), which under load
 * cost the router more CPU than the publish. Here a publish is a core publish whose reply subject is a token
 * under one inbox subscription; one sweep fails the publishes whose ack is overdue.
 *
 * What a publish may expect, and what it answers, are the client's: `msgID` and the `expect` headers; a
 * {@link PubAck}, or a {@link JetStreamApiError} with the stream's error code (a wrong last sequence is still
 * 10071). Options it does not handle (retries, TTLs, schedules) go to the client's own `publish`.
 */
export class PipelinedPublisher {
  private readonly inbox: string;
  private subscription?: Subscription;
  private readonly waiting = new Map<string, Waiting>();
  private counter = 0;
  private sweeper?: NodeJS.Timeout;

  /**
   * @param inboxPrefix the connection's inbox prefix: on the isolated broker a principal may read replies
   *   only under its own
   */
  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly timeoutMs: number,
    inboxPrefix?: string,
  ) {
    this.inbox = createInbox(inboxPrefix);
  }

  /** Publishes to a stream and resolves with its ack; the signature and answers of `JetStreamClient.publish`. */
  publish(subject: string, data?: Uint8Array, opts?: Partial<JetStreamPublishOptions>): Promise<PubAck> {
    if (
      opts &&
      ((opts.retries ?? 1) > 1 || opts.ttl || opts.schedule || opts.expect?.lastSubjectSequenceSubject)
    )
      return this.js.publish(subject, data, opts);
    const headers = opts?.headers ?? natsHeaders();
    if (opts?.msgID) headers.set('Nats-Msg-Id', opts.msgID);
    const expect = opts?.expect;
    if (expect) {
      if (expect.streamName) headers.set('Nats-Expected-Stream', expect.streamName);
      if (expect.lastMsgID) headers.set('Nats-Expected-Last-Msg-Id', expect.lastMsgID);
      if (typeof expect.lastSequence === 'number')
        headers.set('Nats-Expected-Last-Sequence', String(expect.lastSequence));
      if (typeof expect.lastSubjectSequence === 'number')
        headers.set('Nats-Expected-Last-Subject-Sequence', String(expect.lastSubjectSequence));
    }
    this.subscription ??= this.nc.subscribe(`${this.inbox}.*`, {
      callback: (err, msg) => {
        if (!err) this.answered(msg);
      },
    });
    const token = (this.counter++).toString(36);
    return new Promise<PubAck>((resolve, reject) => {
      this.waiting.set(token, {
        resolve,
        reject,
        deadline: Date.now() + (opts?.timeout ?? this.timeoutMs),
        subject,
      });
      try {
        this.nc.publish(subject, data, { reply: `${this.inbox}.${token}`, headers });
      } catch (err) {
        this.waiting.delete(token);
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS);
    });
  }

  /** Fails every publish still waiting, and stops listening for acks. */
  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.fail(
      () => true,
      (w) => new JetStreamError(`publish to ${w.subject} not confirmed: publisher closed`),
    );
  }

  private answered(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    const w = this.waiting.get(token);
    if (!w) return; // answered after its deadline
    this.waiting.delete(token);
    if (msg.headers?.code === 503) {
      w.reject(new JetStreamError(`no stream takes messages on ${w.subject} (no responders)`));
      return;
    }
    let answer: AckAnswer;
    try {
      answer = JSON.parse(decoder.decode(msg.data)) as AckAnswer;
    } catch {
      w.reject(new JetStreamError(`the ack of a publish to ${w.subject} is not JSON`));
      return;
    }
    if (answer.error) w.reject(new JetStreamApiError(answer.error));
    else if (!answer.stream || typeof answer.seq !== 'number')
      w.reject(new JetStreamError(`invalid ack of a publish to ${w.subject}`));
    else
      w.resolve({
        stream: answer.stream,
        seq: answer.seq,
        duplicate: answer.duplicate ?? false,
        domain: answer.domain,
      });
  }

  private sweep(): void {
    const now = Date.now();
    this.fail(
      (w) => w.deadline <= now,
      (w) => new JetStreamError(`publish to ${w.subject} not confirmed in time`),
    );
  }

  private fail(which: (w: Waiting) => boolean, error: (w: Waiting) => Error): void {
    for (const [token, w] of this.waiting)
      if (which(w)) {
        this.waiting.delete(token);
        w.reject(error(w));
      }
    if (this.waiting.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}

/**
 * `js` with its `publish` pipelined ({@link PipelinedPublisher}); everything else is the client's own.
 */
export function withPipelinedPublish(js: JetStreamClient, publisher: PipelinedPublisher): JetStreamClient {
  const publish = publisher.publish.bind(publisher);
  return new Proxy(js, {
    get(target, prop) {
      if (prop === 'publish') return publish;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
