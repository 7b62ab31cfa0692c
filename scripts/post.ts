/**
 * `npm run post -- <command>`: a liaison officer's post abroad writes into its outbox and reads it back.
 *
 *   npm run post -- send <envelope.json>   puts a report in the post's outbox (the envelope's sender is the
 *                                          post); the post sends it when the exchange can be reached, in order
 *   npm run post -- status [--post <id>]   shows what waits and what was confirmed, with its position
 *
 * The outbox is in the post's node schema: MSX_DATABASE_URL / MSX_DATABASE_SCHEMA (or MSX_NODE_SCHEMA), or
 * those of the running npm start. The post's process need not run: what is written waits for it.
 */
import { readFileSync } from 'node:fs';
import { databaseSpec, directorySpec, loadConfig, optionalStr } from '#config';
import { encodeEnvelope, envelopeFromJson, validateEnvelopeJson } from '#contracts';
import { loadDirectory } from '#directory';
import { HoldingsStore, nodeSchema, OutboxStore } from '#node-app';
import { readRuntimeInfo } from './exchange/local-state.js';

const USAGE = 'usage: npm run post -- send <envelope.json> | status [--post <node id>]';

class UsageError extends Error {}

/**
 * The largest envelope the outbox takes: the broker's message limit less room for headers. A larger one could
 * never be sent, and would hold up everything written after it.
 */
const MAX_ENVELOPE_BYTES = 1_048_576 - 8_192;

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

/** The post's outbox, its tables made if the post never ran yet. */
async function openOutbox(post: string): Promise<{ outbox: OutboxStore; close: () => Promise<void> }> {
  const directory = loadDirectory(loadConfig(directorySpec).MSX_DIRECTORY_FILE);
  const party = directory.party(post);
  if (party?.kind !== 'liaison-officer')
    throw new UsageError(
      `${post} is not a liaison officer's post of the directory: only posts send from an outbox`,
    );
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
  if (size > MAX_ENVELOPE_BYTES)
    throw new UsageError(
      `${file}: not sent, the envelope takes ${size} bytes; the exchange takes at most ${MAX_ENVELOPE_BYTES}`,
    );
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

async function status(post: string): Promise<void> {
  const { outbox, close } = await openOutbox(post);
  try {
    const entries = await outbox.entries(50);
    const waiting = await outbox.waiting();
    process.stdout.write(`outbox of ${post}: ${waiting} waiting\n`);
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
