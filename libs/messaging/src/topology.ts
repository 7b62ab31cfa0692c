import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Durables, Streams, Subjects } from './subjects.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const nanos = (ms: number) => ms * 1_000_000;

/** A stream as MSX declares it. */
export interface StreamSpec {
  name: string;
  subjects: string[];
  /** How long a message is kept, in milliseconds. */
  maxAgeMs: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate, in milliseconds. */
  duplicateWindowMs: number;
  /** Keep only the latest message per subject (a key-value ledger); unlimited when absent. */
  maxMsgsPerSubject?: number;
  /** Serve reads by subject with direct get, which bypasses the JetStream API queue (fast lookups). */
  allowDirect?: boolean;
  /**
   * The JetStream API deletes no message from it and never purges it (`deny_delete`, `deny_purge`): messages
   * leave by its limits. The broker keeps this once set (it refuses to lift it), so it is for streams whose
   * every message is evidence on its way to the trail: submissions, audit events, checkpoints. It does not
   * stop a principal with stream-admin rights from deleting the whole stream or lowering its limits. The
   * broker denies the core services deleting or purging a stream (`servicePermissions`); a service may still
   * lower the limits of a stream it declares, and the operator (`msx-admin`) may do everything.
   */
  noRemoval?: boolean;
}

/** A durable pull consumer as MSX declares it. */
export interface ConsumerSpec {
  stream: string;
  durable: string;
  /** How long the server waits for an ack before redelivering, in milliseconds. */
  ackWaitMs: number;
  /**
   * Failed deliveries (holds do not count) after which the worker gives up on a message: a core service sends
   * it to the dead-letter subject, a node audits it and leaves it in its stream.
   */
  maxDeliver: number;
  /** Unacknowledged messages in flight; 1 keeps strict order. */
  maxAckPending: number;
}

/** Submissions wait here for the router; kept a week so a stopped router loses nothing. */
export const submitStream = (): StreamSpec => ({
  name: Streams.submit,
  subjects: [Subjects.submitAll],
  maxAgeMs: 7 * DAY_MS,
  // Officers on poor links resubmit; the same envelope id within two hours is one submission.
  duplicateWindowMs: 2 * HOUR_MS,
  noRemoval: true,
});

/** A node's inbox: kept long enough for a liaison officer's post to be offline for weeks. */
export const inboxStream = (node: string): StreamSpec => ({
  name: Streams.inbox(node),
  subjects: [Subjects.deliver(node)],
  maxAgeMs: 60 * DAY_MS,
  duplicateWindowMs: 2 * HOUR_MS,
  // The gateway reads an officer's inbox by position, beside the node's own consumer.
  allowDirect: true,
});

/** Audit events in transit to PostgreSQL, the system of record. */
export const auditStream = (): StreamSpec => ({
  name: Streams.audit,
  subjects: [Subjects.auditAll],
  maxAgeMs: 30 * DAY_MS,
  duplicateWindowMs: 2 * HOUR_MS,
  noRemoval: true,
});

/** What a core service gave up on (a node only audits its own), kept a year for the operator to replay. */
export const deadLetterStream = (): StreamSpec => ({
  name: Streams.deadLetter,
  subjects: [Subjects.deadLetterAll],
  maxAgeMs: 365 * DAY_MS,
  duplicateWindowMs: 2 * HOUR_MS,
});

/**
 * The router's memory: id claims, items routed, payload and selector indexes, share requests, consents; the
 * latest value per subject.
 */
export const ledgerStream = (): StreamSpec => ({
  name: Streams.ledger,
  subjects: [Subjects.ledgerAll],
  // Each entry is kept ten years after its last write: a fixed bound, as the contracts set no latest expiry.
  maxAgeMs: 10 * 365 * DAY_MS,
  duplicateWindowMs: 2 * HOUR_MS,
  maxMsgsPerSubject: 1,
  allowDirect: true,
});

/** Signed audit checkpoints: small and rare (one per N rows or T seconds), kept a year for witnesses offline. */
export const checkpointStream = (): StreamSpec => ({
  name: Streams.checkpoints,
  subjects: [Subjects.checkpointAudit],
  maxAgeMs: 365 * DAY_MS,
  duplicateWindowMs: 2 * HOUR_MS,
  noRemoval: true,
});

export const routerConsumer = (): ConsumerSpec => ({
  stream: Streams.submit,
  durable: Durables.router,
  ackWaitMs: 30_000,
  maxDeliver: 10,
  maxAckPending: 1_000,
});

/**
 * The audit service's consumer. An unavailable audit database is a hold, which `maxDeliver` does not count:
 * events wait as long as the audit stream keeps them (30 days), and only an event that keeps failing for
 * another reason is ever given up on (the audit service may set the budget and the backoff by configuration).
 */
export const auditConsumer = (): ConsumerSpec => ({
  stream: Streams.audit,
  durable: Durables.audit,
  ackWaitMs: 30_000,
  maxDeliver: 20,
  maxAckPending: 5_000,
});

export const inboxConsumer = (node: string): ConsumerSpec => ({
  stream: Streams.inbox(node),
  durable: Durables.inbox(node),
  ackWaitMs: 30_000,
  maxDeliver: 10,
  maxAckPending: 1,
});

/** A witness's own consumer on the checkpoint stream; it gets every checkpoint once, in order. */
export const witnessConsumer = (node: string): ConsumerSpec => ({
  stream: Streams.checkpoints,
  durable: Durables.witness(node),
  ackWaitMs: 30_000,
  maxDeliver: 10,
  maxAckPending: 100,
});

/** Streams and consumers, declared together. */
export interface BusTopology {
  streams: StreamSpec[];
  consumers: ConsumerSpec[];
}

/**
 * Creates or updates the streams, then the consumers on them. Idempotent.
 * @returns what the operator should know: each stream that kept more replicas than `replicas` declared
 */
export async function declareTopology(
  jsm: JetStreamManager,
  topology: BusTopology,
  replicas = 1,
): Promise<string[]> {
  const notices: string[] = [];
  for (const s of topology.streams) {
    const kept = await ensureStream(jsm, s, replicas);
    if (kept > replicas)
      notices.push(
        `stream ${s.name} keeps its ${kept} replicas although ${replicas} were declared (MSX_STREAM_REPLICAS): ` +
          "fewer copies is an operator's decision, made on the stream itself, never a side effect of one " +
          'service started with a smaller setting',
      );
  }
  for (const c of topology.consumers) await ensureConsumer(jsm, c);
  return notices;
}

/**
 * Everything the exchange needs on the bus for the given nodes. Every node gets a witness consumer on the
 * checkpoint stream (cheap: checkpoints are rare), so any node can be made a witness by configuration alone.
 */
export function busTopology(nodes: readonly string[]): BusTopology {
  return {
    streams: [
      submitStream(),
      auditStream(),
      deadLetterStream(),
      ledgerStream(),
      checkpointStream(),
      ...nodes.map(inboxStream),
    ],
    consumers: [
      routerConsumer(),
      auditConsumer(),
      ...nodes.map(inboxConsumer),
      ...nodes.map(witnessConsumer),
    ],
  };
}

function streamConfig(spec: StreamSpec, replicas: number): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    subjects: spec.subjects,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    max_age: nanos(spec.maxAgeMs),
    duplicate_window: nanos(spec.duplicateWindowMs),
    max_msgs_per_subject: spec.maxMsgsPerSubject ?? -1,
    allow_direct: spec.allowDirect ?? false,
    deny_delete: spec.noRemoval ?? false,
    deny_purge: spec.noRemoval ?? false,
    num_replicas: replicas,
  };
}

function consumerConfig(spec: ConsumerSpec): Partial<ConsumerConfig> {
  return {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(spec.ackWaitMs),
    // The worker gives up on a message after spec.maxDeliver failures of its own; the server must not stop
    // redelivering earlier, or a message held back (audit trail down) would be dropped silently.
    max_deliver: -1,
    max_ack_pending: spec.maxAckPending,
  };
}

/** The JetStream API's answer that a stream or consumer does not exist. */
export function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.status === 404;
}

/**
 * Creates the stream, or brings an existing one to the declared subjects and limits. Idempotent. Its replicas
 * are raised to `replicas`, never lowered.
 * @returns the replicas the stream has now
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, replicas = 1): Promise<number> {
  let existing: StreamConfig | undefined;
  try {
    existing = (await jsm.streams.info(spec.name)).config;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.streams.add(streamConfig(spec, replicas));
      return replicas;
    } catch (addErr) {
      // Another service created it at the same moment: fall through to update.
      if (!(addErr instanceof JetStreamApiError)) throw addErr;
      existing = (await jsm.streams.info(spec.name)).config;
    }
  }
  // Raised when more are declared, never lowered: losing copies of the exchange's streams must be decided.
  const kept = Math.max(replicas, existing?.num_replicas ?? 1);
  const config = streamConfig(spec, kept);
  // What the broker keeps once set stays, whatever this version declares (an older one, during a rollback).
  config.deny_delete ||= existing?.deny_delete ?? false;
  config.deny_purge ||= existing?.deny_purge ?? false;
  await jsm.streams.update(spec.name, config);
  return kept;
}

/** Creates the durable consumer, or updates it to the declared settings. Idempotent. */
export async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<void> {
  const config = consumerConfig(spec);
  try {
    await jsm.consumers.info(spec.stream, spec.durable);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.consumers.add(spec.stream, config);
      return;
    } catch (addErr) {
      if (!(addErr instanceof JetStreamApiError)) throw addErr;
    }
  }
  await jsm.consumers.update(spec.stream, spec.durable, config);
}

/**
 * Declares every stream and consumer of the exchange for `nodes`. Idempotent. The router declares the same
 * ({@link busTopology}) through its topology provider at start; the gateway and the audit service declare
 * the streams and consumer they use through theirs.
 */
export async function provisionBus(
  jsm: JetStreamManager,
  nodes: readonly string[],
  replicas = 1,
): Promise<void> {
  await declareTopology(jsm, busTopology(nodes), replicas);
}
