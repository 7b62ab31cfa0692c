/**
 * The raw limits MSX's figures are divided by, measured in the same run on the same machine: JetStream
 * publish with ack of 1 KB messages, batched PostgreSQL inserts of the audit row shape, and a bare HTTP JSON
 * echo on the gateway's framework.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type pg from 'pg';
import { natsAuthOptions, PipelinedPublisher, type BusCredentials } from '#messaging';
import { resolve } from 'node:path';
import { freePort, READY_LINE, startChild } from '#process-kit';
import { httpLoad, type HttpLoadResult } from './http-load.js';
import { nowMs, windowed } from './stats.js';

/**
 * JetStream publish+ack rate of 1 KB messages with `inFlight` outstanding, to a file-storage stream; on the
 * isolated broker when `credentials` are given (TLS, the core account), else on an open one. The raw client at
 * its fastest: a connection of its own with fixed options and `noAsyncTraces` (no stack captured per request),
 * not MSX's `connectBus`, so that tuning MSX's client can never lower the baseline it is divided by. Measured
 * twice, with the client's own publish and with acks collected on one subscription as MSX publishes
 * ({@link PipelinedPublisher}), each for `durationMs`; the better of the two is the baseline.
 */
export async function rawJetStreamPublish(
  natsUrl: string,
  durationMs: number,
  inFlight = 256,
  credentials?: BusCredentials,
): Promise<number> {
  const auth = natsAuthOptions(credentials);
  const nc = await connect({ servers: natsUrl, name: 'bench-raw', noAsyncTraces: true, ...auth });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const pipelined = new PipelinedPublisher(nc, js, 10_000, auth.inboxPrefix);
  const stream = 'BENCH_RAW';
  try {
    await jsm.streams.add({ name: stream, subjects: ['bench.raw'], storage: StorageType.File });
    const payload = randomBytes(1024);
    const rate = async (publish: () => Promise<unknown>) => {
      const started = nowMs();
      const deadline = started + durationMs;
      const done = await windowed(
        inFlight,
        () => nowMs() > deadline,
        async () => {
          await publish();
        },
      );
      return done / ((nowMs() - started) / 1000);
    };
    const own = await rate(() => js.publish('bench.raw', payload));
    const collected = await rate(() => pipelined.publish('bench.raw', payload));
    return Math.max(own, collected);
  } finally {
    pipelined.close();
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  }
}

const RAW_TABLE_COLUMNS: [name: string, type: string][] = [
  ['seq', 'int8'],
  ['event_id', 'uuid'],
  ['occurred_at', 'timestamptz'],
  ['operation', 'text'],
  ['actor_node', 'text'],
  ['actor_person', 'text'],
  ['counterpart_node', 'text'],
  ['message_id', 'text'],
  ['message_type', 'text'],
  ['handling_code', 'text'],
  ['tlp', 'text'],
  ['message_sha256', 'bpchar'],
  ['rule', 'text'],
  ['detail', 'jsonb'],
  ['correlation_id', 'text'],
  ['prev_hash', 'bpchar'],
  ['row_hash', 'bpchar'],
];

/**
 * Rows per second of 500-row `INSERT … SELECT FROM unnest(…)` batches, each its own transaction, on one
 * connection, into a plain table of the audit row shape with the trail's indexes and unique event id
 * (`ON CONFLICT DO NOTHING`, as the audit store skips redelivered events). No chain, no partitions.
 */
export async function rawPostgresInsert(
  client: pg.Client,
  schema: string,
  durationMs: number,
  batchSize = 500,
): Promise<number> {
  const table = `"${schema}".bench_raw_audit`;
  await client.query(`
    CREATE TABLE ${table} (
      seq bigint PRIMARY KEY, event_id uuid NOT NULL UNIQUE, occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(), operation text NOT NULL, actor_node text NOT NULL,
      actor_person text, counterpart_node text, message_id text, message_type text, handling_code text,
      tlp text, message_sha256 char(64), rule text, justification text, detail jsonb NOT NULL DEFAULT '{}',
      correlation_id text, prev_hash char(64) NOT NULL, row_hash char(64) NOT NULL)`);
  await client.query(`CREATE INDEX ON ${table} (message_id)`);
  await client.query(`CREATE INDEX ON ${table} (actor_node, occurred_at)`);
  await client.query(`CREATE INDEX ON ${table} (counterpart_node, occurred_at)`);
  await client.query(`CREATE INDEX ON ${table} (actor_person, occurred_at)`);
  const names = RAW_TABLE_COLUMNS.map(([n]) => n).join(', ');
  const unnest = RAW_TABLE_COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ');
  const sql = `INSERT INTO ${table} (${names}) SELECT * FROM unnest(${unnest}) ON CONFLICT DO NOTHING`;
  const hex = () => randomBytes(32).toString('hex');
  let seq = 0;
  const batch = () => {
    const cols: unknown[][] = RAW_TABLE_COLUMNS.map(() => []);
    const at = new Date().toISOString();
    for (let i = 0; i < batchSize; i++) {
      const messageId = randomUUID();
      const row = [
        ++seq,
        randomUUID(),
        at,
        'delivered',
        'emlo-ne',
        'emlo-ne.officer-17',
        'cp-it',
        messageId,
        'internetContentReferral',
        'H1',
        'AMBER',
        hex(),
        'POLICY.ALLOWED',
        '{"reason":"named by the sender"}',
        randomUUID(),
        hex(),
        hex(),
      ];
      row.forEach((v, c) => cols[c].push(v));
    }
    return cols;
  };
  const started = nowMs();
  let rows = 0;
  while (nowMs() - started < durationMs) {
    const params = batch();
    await client.query(sql, params);
    rows += batchSize;
  }
  const rate = rows / ((nowMs() - started) / 1000);
  await client.query(`DROP TABLE ${table}`);
  return rate;
}

/** Requests per second of a bare NestJS + Fastify JSON echo (its own process), with `connections` keep-alive. */
export async function rawHttpEcho(
  body: (i: number) => string,
  durationMs: number,
  connections: number,
): Promise<HttpLoadResult> {
  const port = await freePort();
  const echo = startChild({
    name: 'echo',
    args: [resolve('dist/bench/echo-server.main.js')],
    env: { BENCH_ECHO_PORT: String(port) },
    // Its output stays with the benchmark (which prints a table); the last lines go into error reports.
    keepLines: 40,
  });
  try {
    await echo.waitForLine(READY_LINE, 30_000);
    return await httpLoad({
      url: `http://127.0.0.1:${port}/v1/echo`,
      headers: { 'content-type': 'application/json' },
      body,
      expectStatus: 202,
      connections,
      durationMs,
    });
  } finally {
    await echo.stop();
  }
}
