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
import type { NatsConnection } from '@nats-io/transport-node';
import { Durables, postDomain, Streams, Subjects } from './subjects.js';

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
    subjects: [Subjects.postOutbox(post)],
    // Gone from the leaf once the node app's outbox record holds it; kept until then, however long.
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    // A full disk refuses the new envelope (its writer is told), never drops one already accepted.
    discard: DiscardPolicy.New,
    max_age: 0,
    max_msg_size: POST_OUTBOX_MAX_ENVELOPE_BYTES,
    duplicate_window: nanos(POST_OUTBOX_DUPLICATE_WINDOW_MS),
    deny_delete: true,
    deny_purge: true,
    num_replicas: 1,
  };
}

export function postIntakeConsumerConfig(): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: Durables.postIntake,
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

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.status === 404;
}

/** Creates the post's outbox stream and its intake consumer on the leaf, or brings them to this declaration. */
export async function ensurePostOutbox(jsm: JetStreamManager, post: string): Promise<void> {
  const stream = postOutboxStreamConfig(post);
  try {
    await jsm.streams.info(stream.name);
    await jsm.streams.update(stream.name, stream);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(stream);
  }
  const consumer = postIntakeConsumerConfig();
  try {
    await jsm.consumers.info(stream.name, consumer.durable_name);
    await jsm.consumers.update(stream.name, consumer.durable_name, consumer);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(stream.name, consumer);
  }
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

/** How many envelopes wait on the leaf for the node app to take them into its outbox record. */
export async function waitingInPostOutbox(jsm: JetStreamManager): Promise<number> {
  return (await jsm.streams.info(Streams.postOutbox)).state.messages;
}
