import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsAuthOptions, type BusCredentials } from './connection.js';
import { Durables, postDomain, Streams, Subjects } from './subjects.js';
import { isNotFound } from './topology.js';

/**
 * A liaison officer's post keeps its outbox on its own leaf node, in a JetStream of the leaf's own (the domain
 * {@link postDomain}): whatever the post's processes put there is stored on the post's machine at once, link
 * or no link, node app running or not. The post's node app takes each envelope from it, in the order stored,
 * into its outbox record (PostgreSQL, with what it sent and where the exchange stored it), which sends them on
 * to the hub. The stream is a work queue: an envelope leaves it once the record holds it, so the post keeps
 * one copy of what waits, not two.
 */

const nanos = (ms: number) => ms * 1_000_000;

/** The largest envelope the outbox takes: the hub's message limit less room for headers. */
export const POST_OUTBOX_MAX_ENVELOPE_BYTES = 1_048_576 - 8_192;

/** The same envelope id within this window is stored once (an officer's command run twice, a retried publish). */
export const POST_OUTBOX_DUPLICATE_WINDOW_MS = 24 * 3_600_000;

/** How long the intake waits for the node app's ack of one envelope before the leaf offers it again. */
export const POST_INTAKE_ACK_WAIT_MS = 30_000;

export function postOutboxStreamConfig(post: string): Partial<StreamConfig> & { name: string } {
  return {
    name: Streams.postOutbox,
    subjects: [Subjects.postOutbox(post), Subjects.postSetAside(post)],
    // Gone from the leaf once the node app's outbox record holds it; kept until then, however long.
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    // A full disk refuses the new envelope (its writer is told), never drops one already accepted.
    discard: DiscardPolicy.New,
    // No limit that could drop a report: kept until taken, however many.
    max_age: 0,
    max_msgs: -1,
    max_bytes: -1,
    max_msgs_per_subject: -1,
    max_msg_size: POST_OUTBOX_MAX_ENVELOPE_BYTES,
    duplicate_window: nanos(POST_OUTBOX_DUPLICATE_WINDOW_MS),
    deny_delete: true,
    deny_purge: true,
    num_replicas: 1,
  };
}

export function postIntakeConsumerConfig(
  post: string,
): Partial<ConsumerConfig> & { durable_name: string; filter_subject: string } {
  return {
    durable_name: Durables.postIntake,
    // What was set aside stays: no consumer takes it, and a work queue keeps what no consumer takes.
    filter_subject: Subjects.postOutbox(post),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(POST_INTAKE_ACK_WAIT_MS),
    max_deliver: -1,
    // One at a time: the record takes them in the order the leaf stored them.
    max_ack_pending: 1,
  };
}

/** The post's leaf JetStream: its API under the post's domain, so that nothing of it is ever asked of the hub. */
export interface PostOutboxBus {
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/**
 * Connects to the post's own leaf node as the post, once: the leaf runs on the post's machine, so a refusal
 * means it is down, not that the link to the hub is.
 */
export function connectToPostLeaf(
  url: string,
  credentials: BusCredentials,
  name: string,
): Promise<NatsConnection> {
  return connect({ servers: url, name, timeout: 5_000, reconnect: false, ...natsAuthOptions(credentials) });
}

/**
 * Opens the JetStream of the post's own leaf node on a connection to that leaf.
 * @throws when no JetStream answers under the post's domain: the connection is not the post's leaf, or its
 *   leaf was configured without JetStream
 */
export async function openPostOutbox(
  nc: NatsConnection,
  post: string,
  timeoutMs = 5_000,
): Promise<PostOutboxBus> {
  const domain = postDomain(post);
  try {
    const jsm = await jetstreamManager(nc, { domain, timeout: timeoutMs });
    return { jsm, js: jetstream(nc, { domain, timeout: timeoutMs }) };
  } catch (err) {
    throw new Error(
      `the leaf node of ${post} does not answer for its outbox (JetStream domain ${domain}): ` +
        `connect to the post's own leaf node, generated with its outbox (${(err as Error).message})`,
      { cause: err },
    );
  }
}

/** The settings that make the outbox what it promises, as the leaf reports them, and what they must be. */
function differences(actual: object, wanted: object): string[] {
  const a = actual as Record<string, unknown>;
  return Object.entries(wanted)
    .filter(([k, v]) => JSON.stringify(a[k] ?? null) !== JSON.stringify(v))
    .map(([k, v]) => `${k}: ${JSON.stringify(a[k] ?? null)}, expected ${JSON.stringify(v)}`);
}

/**
 * Creates the post's outbox stream and its intake consumer on the leaf when they are missing, and checks them
 * when they are there. The post's processes may create them but never change them (the leaf gives them no
 * update), so a stream made otherwise (by hand, by an older version, by a process of the post's that should
 * not have) is refused, naming each setting, rather than trusted with reports: limits it was made with could
 * drop them.
 * @throws naming the stream or consumer and each setting that differs
 */
export async function ensurePostOutbox(jsm: JetStreamManager, post: string): Promise<void> {
  const stream = postOutboxStreamConfig(post);
  const { name: _name, ...streamWanted } = stream;
  let existing: StreamConfig | undefined;
  try {
    existing = (await jsm.streams.info(stream.name)).config;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    existing = (
      await jsm.streams.add(stream).catch(async (addErr: unknown) => {
        // Made by another process of the post at the same moment: check that one.
        if (!(addErr instanceof JetStreamApiError)) throw addErr;
        return jsm.streams.info(stream.name);
      })
    ).config;
  }
  const off = differences(existing, streamWanted);
  if (off.length > 0)
    throw new Error(
      `the outbox on the leaf node of ${post} (stream ${stream.name}) is not as MSX makes it, and is not used: ` +
        `${off.join('; ')}. Move its messages aside and remove it with the leaf's operator, then start again`,
    );
  const consumer = postIntakeConsumerConfig(post);
  let info;
  try {
    info = await jsm.consumers.info(stream.name, consumer.durable_name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    info = await jsm.consumers.add(stream.name, consumer);
  }
  const { durable_name: _durable, ...consumerWanted } = consumer;
  const offConsumer = differences(info.config, consumerWanted);
  if (offConsumer.length > 0)
    throw new Error(
      `the intake of the outbox on the leaf node of ${post} (consumer ${consumer.durable_name}) is not as MSX ` +
        `makes it, and is not used: ${offConsumer.join('; ')}`,
    );
}

/**
 * Puts an encoded envelope into the post's outbox on its leaf, under its id: stored on the post's machine when
 * this resolves, whether or not the hub can be reached. The same id again within a day is stored once.
 */
export function putInPostOutbox(
  outbox: PostOutboxBus,
  post: string,
  envelopeId: string,
  bytes: Uint8Array,
): Promise<PubAck> {
  return outbox.js.publish(Subjects.postOutbox(post), bytes, { msgID: envelopeId });
}

/** Envelopes on the leaf: waiting for the node app to take them into its outbox record, and set aside. */
export async function postOutboxCounts(
  jsm: JetStreamManager,
  post: string,
): Promise<{ waiting: number; setAside: number }> {
  const info = await jsm.streams.info(Streams.postOutbox, { subjects_filter: Subjects.postSetAside(post) });
  const all = info.state.messages;
  const setAside = info.state.subjects?.[Subjects.postSetAside(post)] ?? 0;
  return { waiting: all - setAside, setAside };
}

/** How many envelopes wait on the leaf for the node app to take them into its outbox record. */
export async function waitingInPostOutbox(jsm: JetStreamManager, post: string): Promise<number> {
  return (await postOutboxCounts(jsm, post)).waiting;
}
