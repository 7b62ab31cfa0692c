/**
 * `npm run post -- <command>`: a liaison officer's post abroad writes into its outbox and reads it back.
 *
 *   npm run post -- send <envelope.json>   puts a report in the post's outbox (the envelope's sender is the
 *                                          post); the post sends it when the exchange can be reached, in order
 *   npm run post -- status [--post <id>]   shows what waits and what was confirmed, with its position
 *
 * A post on its own leaf node keeps its outbox there first: `send` stores the report in the leaf's own
 * JetStream (MSX_LEAF_OUTBOX=on with the post's MSX_NATS_URL and MSX_NATS_NKEY_SEED_FILE, or the leaf of the
 * running npm start), which takes it with the link cut and the post's node app stopped; the node app moves it
 * into its outbox record when it runs. Without a leaf, `send` writes the record itself. The record is in the
 * post's node schema: MSX_DATABASE_URL / MSX_DATABASE_SCHEMA (or MSX_NODE_SCHEMA), or those of the running
 * npm start.
 */
import { readFileSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import { databaseSpec, directorySpec, loadConfig, oneOf, optionalStr } from '#config';
import { encodeEnvelope, envelopeFromJson, validateEnvelopeJson, type Envelope } from '#contracts';
import { loadDirectory } from '#directory';
import {
  connectToPostLeaf,
  ensurePostOutbox,
  isNotFound,
  openPostOutbox,
  POST_OUTBOX_MAX_ENVELOPE_BYTES,
  putInPostOutbox,
  postOutboxCounts,
  Subjects,
} from '#messaging';
import { HoldingsStore, nodeSchema, OutboxStore } from '#node-app';
import { natsCredentials } from '#runtime';
import { readRuntimeInfo } from './exchange/local-state.js';

const USAGE = 'usage: npm run post -- send <envelope.json> | status [--post <node id>]';

class UsageError extends Error {}

/** The post's own leaf node, where it keeps its outbox first: its local URL and the post's NKey seed file. */
function leafOf(post: string): { url: string; seedFile: string } | undefined {
  const env = loadConfig({
    MSX_LEAF_OUTBOX: oneOf(['on', 'off'] as const, 'off'),
    MSX_NATS_URL: optionalStr(),
    MSX_NATS_NKEY_SEED_FILE: optionalStr(),
  });
  if (env.MSX_LEAF_OUTBOX === 'on') {
    if (!env.MSX_NATS_URL || !env.MSX_NATS_NKEY_SEED_FILE)
      throw new UsageError(
        'MSX_LEAF_OUTBOX=on needs the post leaf node: MSX_NATS_URL and MSX_NATS_NKEY_SEED_FILE (the post NKey seed)',
      );
    return { url: env.MSX_NATS_URL, seedFile: env.MSX_NATS_NKEY_SEED_FILE };
  }
  const explicit = loadConfig({ MSX_DATABASE_URL: optionalStr() });
  return explicit.MSX_DATABASE_URL ? undefined : readRuntimeInfo()?.posts?.[post];
}

/** Connects to the post's leaf as the post; the link to the hub may be down, the leaf is on the post's machine. */
async function leafConnection(
  post: string,
  leaf: { url: string; seedFile: string },
): Promise<NatsConnection> {
  const credentials = natsCredentials({ MSX_NATS_NKEY_SEED_FILE: leaf.seedFile }, post);
  try {
    return await connectToPostLeaf(leaf.url, credentials!, `msx-post-${post}-cli`);
  } catch (err) {
    throw new Error(
      `the leaf node of ${post} at ${leaf.url} cannot be reached (${(err as Error).message}); nothing was stored`,
      { cause: err },
    );
  }
}

/** Stores the envelope in the outbox on the post's leaf node. */
async function sendToLeaf(envelope: Envelope, leaf: { url: string; seedFile: string }): Promise<void> {
  const post = envelope.sender;
  const nc = await leafConnection(post, leaf);
  try {
    const outbox = await openPostOutbox(nc, post);
    // Made here when the post's node app never ran: what is written waits for it.
    await ensurePostOutbox(outbox.jsm, post);
    const ack = await putInPostOutbox(outbox, post, envelope.id, encodeEnvelope(envelope));
    process.stdout.write(
      ack.duplicate
        ? `${envelope.id} was already in the outbox of ${post} on its leaf node; nothing changed\n`
        : `${envelope.id} is in the outbox of ${post} on its leaf node (#${ack.seq}); it leaves when the exchange can be reached\n`,
    );
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/** The database and the post's schema: MSX_DATABASE_* when set, otherwise the running npm start's. */
function outboxDatabase(post: string): { url: string; schema: string } {
  const explicit = loadConfig({ MSX_DATABASE_URL: optionalStr(), MSX_NODE_SCHEMA: optionalStr() });
  const config = loadConfig(databaseSpec);
  const running = explicit.MSX_DATABASE_URL ? undefined : readRuntimeInfo();
  const url = running?.databaseUrl ?? config.MSX_DATABASE_URL;
  const schema = nodeSchema(
    {
      MSX_DATABASE_SCHEMA: running?.databaseSchema ?? config.MSX_DATABASE_SCHEMA,
      MSX_NODE_SCHEMA: explicit.MSX_NODE_SCHEMA,
    },
    post,
  );
  return { url, schema };
}

/** Only a liaison officer's post of the directory has an outbox. */
function requirePost(post: string): void {
  const party = loadDirectory(loadConfig(directorySpec).MSX_DIRECTORY_FILE).party(post);
  if (party?.kind !== 'liaison-officer')
    throw new UsageError(
      `${post} is not a liaison officer's post of the directory: only posts send from an outbox`,
    );
}

/** The post's outbox, its tables made if the post never ran yet. */
async function openOutbox(post: string): Promise<{ outbox: OutboxStore; close: () => Promise<void> }> {
  const db = outboxDatabase(post);
  const holdings = await HoldingsStore.open({ ...db, poolSize: 1 });
  return { outbox: new OutboxStore(holdings), close: () => holdings.close() };
}

async function send(file: string | undefined): Promise<void> {
  if (!file) throw new UsageError(USAGE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: not a JSON file: ${(err as Error).message}`);
  }
  const violations = validateEnvelopeJson(json);
  if (violations.length > 0)
    throw new UsageError(
      `${file}: not sent, the envelope breaks ${violations.length} rule(s):\n` +
        violations.map((v) => `  ${v.field || '(message)'}: ${v.rule}: ${v.message}`).join('\n'),
    );
  const envelope = envelopeFromJson(json);
  const size = encodeEnvelope(envelope).length;
  // A larger one could never be sent, and would hold up everything written after it.
  if (size > POST_OUTBOX_MAX_ENVELOPE_BYTES)
    throw new UsageError(
      `${file}: not sent, the envelope takes ${size} bytes; the exchange takes at most ${POST_OUTBOX_MAX_ENVELOPE_BYTES}`,
    );
  requirePost(envelope.sender);
  const leaf = leafOf(envelope.sender);
  if (leaf) return sendToLeaf(envelope, leaf);
  const { outbox, close } = await openOutbox(envelope.sender);
  try {
    const { seq, queued } = await outbox.enqueue(envelope);
    process.stdout.write(
      queued
        ? `${envelope.id} is in the outbox of ${envelope.sender} (#${seq}); it leaves when the exchange can be reached\n`
        : `${envelope.id} was already in the outbox of ${envelope.sender} (#${seq}); nothing changed\n`,
    );
  } finally {
    await close();
  }
}

/** What waits on the post's leaf for its node app, or why that cannot be told. */
async function waitingOnLeaf(post: string): Promise<string | undefined> {
  const leaf = leafOf(post);
  if (!leaf) return undefined;
  try {
    const nc = await leafConnection(post, leaf);
    try {
      const outbox = await openPostOutbox(nc, post);
      const { waiting, setAside } = await postOutboxCounts(outbox.jsm, post).catch((err: unknown) => {
        // Nothing was ever written there: the stream is made by the first report or the node app's start.
        if (isNotFound(err)) return { waiting: 0, setAside: 0 };
        throw err;
      });
      return (
        `on its leaf node: ${waiting} not yet taken by the post's node app` +
        (setAside
          ? `; ${setAside} set aside, never to be sent (${Subjects.postSetAside(post)}, with the reason)`
          : '')
      );
    } finally {
      await nc.close().catch(() => undefined);
    }
  } catch (err) {
    return `on its leaf node: unknown (${(err as Error).message})`;
  }
}

async function status(post: string): Promise<void> {
  requirePost(post);
  const onLeaf = await waitingOnLeaf(post);
  const { outbox, close } = await openOutbox(post);
  try {
    const entries = await outbox.entries(50);
    const waiting = await outbox.waiting();
    process.stdout.write(`outbox of ${post}: ${waiting} waiting\n`);
    if (onLeaf) process.stdout.write(`  ${onLeaf}\n`);
    for (const e of entries)
      process.stdout.write(
        `  #${e.seq} ${e.messageType} ${e.messageId} by ${e.author}: ` +
          (e.sentAt
            ? `confirmed ${e.sentAt.toISOString()} (submit stream #${e.submitSeq}, ${e.attempts} tr${e.attempts === 1 ? 'y' : 'ies'})`
            : `waiting since ${e.queuedAt.toISOString()}${e.attempts ? ` (${e.attempts} tries; last: ${e.lastError ?? '?'})` : ''}`) +
          '\n',
      );
  } finally {
    await close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const flag = rest.indexOf('--post');
  const post = flag >= 0 ? rest[flag + 1] : (process.env.MSX_NODE_ID ?? 'emlo-ne');
  if (command === 'send') return send(rest[0]);
  if (command === 'status') return status(post);
  throw new UsageError(USAGE);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`post: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
