/**
 * `npm run bench [-- --quick] [-- --scaling] [-- --trail-rows N]`: measures MSX's figures and, in the same run, the raw
 * limits they are compared with (DESIGN §8), prints a table of ratios against the goals and writes the same
 * as JSON under bench/results/. Everything runs on loopback against a private nats-server and the
 * benchmark's own PostgreSQL schemas (MSX_TEST_DATABASE_URL, or an embedded PostgreSQL when none answers),
 * and everything it starts it stops. Bounded: about 10 minutes by default, under 2 minutes with --quick.
 * The scaling table (routed messages/s and delivery p99 against fan-out, payload size and routers) is part of
 * the default run; `--quick --scaling` adds it to a quick one.
 *
 * The benchmark is not a test: it asserts nothing about speed and exits 0 when it could measure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openAuditStore } from '#audit-store';
import { principalOf, Streams, type Bus } from '#messaging';
import {
  freePort,
  loadServices,
  reachable,
  READY_LINE,
  peakResidentMb,
  residentMb,
  startEmbeddedPostgres,
  startNatsServer,
  startService,
  type OwnedServer,
  type ServiceProcess,
} from '#process-kit';
import { dropSchemaAndRoles, startSecureBroker, TEST_DATABASE_URL, type SecureBroker } from '#testing';
import {
  AUDIT_ROWS_PER_SUBMISSION,
  auditDrainRate,
  BENCH_DIRECTORY_FILE,
  benchEnvelopeJson,
  type BenchShape,
  deliveryLatency,
  drain,
  gatewayThroughput,
  publishAuditBacklog,
  routedThroughput,
  type RoutedResult,
} from './msx-figures.js';
import type { HttpLoadResult } from './http-load.js';
import { rawHttpEcho, rawJetStreamPublish, rawPostgresInsert } from './raw-limits.js';
import { fmt, goalsTable, machine, writeReport, type BenchReport, type GoalLine } from './report.js';
import { sleep } from './stats.js';
import {
  seedTrail,
  trailQueryTime,
  verificationAvailable,
  verificationRate,
  verificationReaders,
} from './trail-figures.js';
import { ADMIN_PRINCIPAL } from '#contracts';

interface Plan {
  mode: 'quick' | 'default';
  /** Length of each throughput measurement, in milliseconds. */
  measureMs: number;
  routedMessages: number;
  latencyRate: number;
  latencyMs: number;
  auditEvents: number;
  trailRows: number;
  trailSeedBudgetMs: number;
  trailQueries: number;
  httpConnections: number;
  /** Rest before memory is read: long enough for each service's idle collection (about 4–6 s after work). */
  restMs: number;
  /** Whether to measure the scaling table, and with how many submissions per row. */
  scaling: boolean;
  scalingMessages: number;
  scalingLatencyMs: number;
  /** The steps to run (`--only a,b`), or every step. The services start either way. */
  only: ReadonlySet<string> | null;
}

function plan(args: string[]): Plan {
  const quick = args.includes('--quick');
  const rowsArg = args.indexOf('--trail-rows');
  const trailRows = rowsArg >= 0 ? Number(args[rowsArg + 1]) : quick ? 200_000 : 10_000_000;
  if (!Number.isInteger(trailRows) || trailRows < 1_000)
    throw new Error('--trail-rows needs a whole number ≥ 1000');
  const onlyArg = args.indexOf('--only');
  const only = onlyArg >= 0 ? new Set((args[onlyArg + 1] ?? '').split(',').filter(Boolean)) : null;
  if (only?.size === 0)
    throw new Error('--only needs step names, comma-separated (for example rawPostgres,audit)');
  return {
    only,
    ...(quick
      ? {
          mode: 'quick',
          measureMs: 3_000,
          routedMessages: 2_000,
          latencyRate: 200,
          latencyMs: 5_000,
          auditEvents: 20_000,
          trailRows,
          trailSeedBudgetMs: 15_000,
          trailQueries: 300,
          httpConnections: 64,
          restMs: 8_000,
          scaling: args.includes('--scaling'),
          scalingMessages: 1_000,
          scalingLatencyMs: 3_000,
        }
      : {
          mode: 'default',
          measureMs: 10_000,
          routedMessages: 10_000,
          latencyRate: 200,
          latencyMs: 20_000,
          auditEvents: 100_000,
          trailRows,
          trailSeedBudgetMs: 210_000,
          trailQueries: 2_000,
          httpConnections: 64,
          restMs: 8_000,
          scaling: true,
          scalingMessages: 3_000,
          scalingLatencyMs: 10_000,
        }),
  };
}

/** The rows of the scaling table besides the default shape (a referral to three parties, one router). */
const SCALING: { label: string; key: string; shape: BenchShape }[] = [
  { label: 'referral, fan-out 2', key: 'fanOut2', shape: { kind: 'referral', fanOut: 2 } },
  { label: 'referral, fan-out 10', key: 'fanOut10', shape: { kind: 'referral', fanOut: 10 } },
  { label: 'referral, fan-out 30', key: 'fanOut30', shape: { kind: 'referral', fanOut: 30 } },
  { label: 'debriefing 1 KB', key: 'debriefing1k', shape: { kind: 'debriefing', payloadBytes: 1_024 } },
  { label: 'debriefing 16 KB', key: 'debriefing16k', shape: { kind: 'debriefing', payloadBytes: 16_384 } },
  // The largest item the contract admits (narrative and facilitators at their limits); 256 KB is beyond it.
  {
    label: 'debriefing 100 KB (largest)',
    key: 'debriefing100k',
    shape: { kind: 'debriefing', payloadBytes: 110_000 },
  },
];

/** The services every figure runs with; the node apps run only for the memory at rest. */
const CORE_SERVICES = ['audit', 'router', 'gateway'];

/** One row of the scaling table as printed. */
interface ScalingRow {
  label: string;
  routers: number;
  fanOut: number | null;
  bytes: number | null;
  perSecond: number | null;
  p99Ms: number | null;
  /** The rate the p99 was measured at. */
  rate: number | null;
}

function scalingRow(
  label: string,
  routers: number,
  routed: RoutedResult | undefined,
  latency?: { p99Ms: number; ratePerSecond: number },
): ScalingRow {
  return {
    label,
    routers,
    fanOut: routed?.fanOut ?? null,
    bytes: routed?.payloadBytes ?? null,
    perSecond: routed?.messagesPerSecond ?? null,
    p99Ms: latency?.p99Ms ?? null,
    rate: latency?.ratePerSecond ?? null,
  };
}

function scalingTable(rows: ScalingRow[]): string {
  const head = '| shape | routers | fan-out | bytes | routed messages/s | delivery p99 | at |';
  const rule = '|---|---|---|---|---|---|---|';
  const cell = (v: number | null, unit = '') => (v === null ? 'n/a' : `${fmt(v)}${unit}`);
  return [
    head,
    rule,
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.routers} | ${cell(r.fanOut)} | ${cell(r.bytes)} | ${cell(r.perSecond, '/s')} | ${cell(r.p99Ms, ' ms')} | ${cell(r.rate, '/s')} |`,
    ),
  ].join('\n');
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const figures: BenchReport['figures'] = {};
const errors: BenchReport['errors'] = {};
const cleanups: (() => Promise<void>)[] = [];
/** The steps `--only` names, or null for all. */
let onlySteps: ReadonlySet<string> | null = null;

/** Runs one measurement; a failure is recorded and the benchmark goes on with the next. */
async function step<T>(
  name: string,
  what: string,
  run: () => Promise<T>,
  show: (r: T) => string,
): Promise<T | undefined> {
  if (onlySteps && name !== 'services' && !onlySteps.has(name.replace(/^scaling_.*/, 'scaling')))
    return undefined;
  process.stdout.write(`· ${what} … `);
  const t0 = Date.now();
  try {
    const r = await run();
    out(`${show(r)}  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return r;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    errors[name] = message;
    out(`FAILED: ${message.split('\n')[0]}`);
    return undefined;
  }
}

async function cleanup(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
}

async function database(): Promise<string> {
  if (await reachable(TEST_DATABASE_URL)) return TEST_DATABASE_URL;
  out(`PostgreSQL does not answer at MSX_TEST_DATABASE_URL; starting an embedded one for the benchmark`);
  // Its data in a temporary folder that dispose() deletes; a random password.
  const server = await startEmbeddedPostgres({ ownProcessGroup: true });
  cleanups.push(() => server.dispose());
  return server.url;
}

const perSecond = (v: number | undefined) => (v === undefined ? 'n/a' : `${fmt(v)}/s`);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? null : a / b;
/** Megabytes per service, as one line. */
const megabytesOf = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([n, mb]) => `${n} ${fmt(mb, 0)} MB`)
    .join(', ');
/** HTTP submissions per second, with any answers other than the expected one. */
const answersOf = (r: HttpLoadResult) =>
  `${perSecond(r.perSecond)}${Object.keys(r.others).length ? ` (other answers: ${JSON.stringify(r.others)})` : ''}`;
const atLeast = (v: number | null, goal: number) => (v === null || Number.isNaN(v) ? undefined : v >= goal);
const atMost = (v: number | null, goal: number) => (v === null || Number.isNaN(v) ? undefined : v <= goal);

async function main(): Promise<void> {
  const p = plan(process.argv.slice(2));
  onlySteps = p.only;
  const startedAt = new Date();
  out(
    `MSX benchmark (${p.mode}): ${machine().cpus} CPUs, Node ${process.version}; loopback only, nothing asserted`,
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      out('\ninterrupted: stopping what the benchmark started');
      void cleanup().then(() => process.exit(130));
    });

  // MSX runs on the isolated broker, as everywhere; the open broker only measures what isolation costs.
  const nats: SecureBroker = await startSecureBroker();
  cleanups.push(() => nats.dispose());
  const openNats: OwnedServer = await startNatsServer();
  cleanups.push(() => openNats.dispose());
  const dbUrl = await database();
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  cleanups.push(() => db.end());
  const tag = randomBytes(4).toString('hex');
  const schema = `msx_bench_${tag}`;
  const trailSchema = `msx_bench_trail_${tag}`;
  await db.query(`CREATE SCHEMA "${schema}"`);
  // Schemas and the cluster-wide roles the audit store made for them: nothing of the run is left behind.
  cleanups.push(() => dropSchemaAndRoles((sql) => db.query(sql), schema));
  cleanups.push(() => dropSchemaAndRoles((sql) => db.query(sql), trailSchema));
  const sec = (ms: number) => `${ms / 1000} s`;

  out('\nraw limits');
  const js = await step(
    'rawJetStream',
    `JetStream publish+ack, 1 KB, 256 in flight, open broker, the better of the client's publish and acks on one subscription, ${sec(p.measureMs)} each`,
    () => rawJetStreamPublish(openNats.url, p.measureMs),
    perSecond,
  );
  const jsIsolated = await step(
    'rawJetStreamIsolated',
    `JetStream publish+ack, 1 KB, 256 in flight, isolated broker (accounts, mutual TLS), the better of the two, ${sec(p.measureMs)} each`,
    () => rawJetStreamPublish(nats.url, p.measureMs, 256, nats.credentialsOf(ADMIN_PRINCIPAL)),
    perSecond,
  );
  const pgRaw = await step(
    'rawPostgres',
    `PostgreSQL 500-row unnest inserts, audit row shape, ${sec(p.measureMs)}`,
    () => rawPostgresInsert(db, schema, p.measureMs),
    (r) => `${fmt(r)} rows/s`,
  );
  const echoBody = () => JSON.stringify(benchEnvelopeJson());
  const echo = await step(
    'rawHttpEcho',
    `NestJS+Fastify JSON echo, ${p.httpConnections} keep-alive connections, ${sec(p.measureMs)}`,
    () => rawHttpEcho(echoBody, p.measureMs, p.httpConnections),
    (r) => perSecond(r.perSecond),
  );
  if (js !== undefined) figures.rawJetStreamPublishPerSecond = js;
  if (jsIsolated !== undefined) figures.rawJetStreamIsolatedPublishPerSecond = jsIsolated;
  if (pgRaw !== undefined) figures.rawPostgresInsertRowsPerSecond = pgRaw;
  if (echo) figures.rawHttpEchoPerSecond = echo.perSecond;

  out('\nMSX (router, audit, gateway as processes)');
  const gatewayPort = await freePort();
  const token = randomBytes(24).toString('base64url');
  const witnessRoot = mkdtempSync(join(tmpdir(), 'msx-bench-witness-'));
  cleanups.push(async () => rmSync(witnessRoot, { recursive: true, force: true }));
  const env = {
    MSX_DATABASE_URL: dbUrl,
    MSX_DATABASE_SCHEMA: schema,
    MSX_DIRECTORY_FILE: BENCH_DIRECTORY_FILE,
    MSX_GATEWAY_HOST: '127.0.0.1',
    MSX_GATEWAY_PORT: String(gatewayPort),
    MSX_GATEWAY_TOKENS: `emlo-ne=${token}`,
  };
  const services = loadServices();
  const running = new Map<string, ServiceProcess>();
  /** Starts the service `name` of npm start, as `as` (a second router is `router-2`). */
  const start = async (name: string, as = name) => {
    const spec = services.find((s) => s.name === name)!;
    const proc = startService(
      spec.app,
      {
        ...env,
        ...nats.envOf(principalOf(spec.app, spec.env.MSX_NODE_ID)),
        ...spec.env,
        ...(spec.witness ? { MSX_WITNESS_DIR: join(witnessRoot, name) } : {}),
      },
      // Their output stays with the benchmark (which prints a table); the last lines go into error reports.
      { name: as, keepLines: 40 },
    );
    running.set(as, proc);
    await proc.waitForLine(READY_LINE, 90_000);
  };
  cleanups.push(async () => void (await Promise.all([...running.values()].map((s) => s.stop()))));
  let bus: Bus | undefined;
  const up = await step(
    'services',
    'starting audit, router and gateway',
    async () => {
      await start('audit');
      await Promise.all([start('router'), start('gateway')]);
      bus = await nats.connectAs(ADMIN_PRINCIPAL);
      cleanups.push(() => bus!.close());
      return true;
    },
    () => 'ready',
  );

  const scaling: ScalingRow[] = [];
  let routed, routedTwo, latency, gatewayAlone, gateway, audit, memory, peakMemory, memoryAfterScaling;
  if (up !== undefined && bus) {
    const b = bus;
    routed = await step(
      'routed',
      `routed messages, fan-out 3, audited: ${p.routedMessages} submissions`,
      () => routedThroughput(b, db, schema, p.routedMessages),
      (r) =>
        `${fmt(r.messagesPerSecond)} messages/s (fan-out ${r.fanOut}, ${fmt(r.auditRowsPerSecond)} audit rows/s)${r.timedOut ? ' — TIMED OUT' : ''}`,
    );
    await drain(db, schema);
    // Two routers side by side on the submit stream's durable consumer and the ledger: how routing scales
    // with routers (each item's submissions still one after another, across both).
    routedTwo = await step(
      'routedTwoRouters',
      `routed messages, fan-out 3, audited, two routers side by side: ${p.routedMessages} submissions`,
      async () => {
        await start('router', 'router-2');
        try {
          return await routedThroughput(b, db, schema, p.routedMessages);
        } finally {
          await running.get('router-2')!.stop();
          running.delete('router-2');
        }
      },
      (r) =>
        `${fmt(r.messagesPerSecond)} messages/s (fan-out ${r.fanOut}, ${fmt(r.auditRowsPerSecond)} audit rows/s)${r.timedOut ? ' — TIMED OUT' : ''}`,
    );
    await drain(db, schema);
    latency = await step(
      'latency',
      `submit → delivery at ${p.latencyRate}/s for ${sec(p.latencyMs)}`,
      () => deliveryLatency(b, p.latencyRate, p.latencyMs),
      (r) => `p50 ${fmt(r.p50Ms)} ms, p99 ${fmt(r.p99Ms)} ms (${r.delivered}/${r.sent} delivered)`,
    );
    await drain(db, schema);
    // The gateway alone: the router stopped, so its submissions wait in the submit stream and nothing else
    // competes for the cores; compared with the echo server alone.
    gatewayAlone = await step(
      'gatewayAlone',
      `gateway alone (routing paused), ${p.httpConnections} keep-alive connections, ${sec(p.measureMs)}`,
      async () => {
        await running.get('router')!.stop();
        try {
          return await gatewayThroughput(
            `http://127.0.0.1:${gatewayPort}`,
            token,
            p.measureMs,
            p.httpConnections,
          );
        } finally {
          await start('router');
        }
      },
      answersOf,
    );
    await drain(db, schema, 300_000);
    gateway = await step(
      'gateway',
      `gateway in the running pipeline (router, audit), ${p.httpConnections} keep-alive connections, ${sec(p.measureMs)}`,
      () => gatewayThroughput(`http://127.0.0.1:${gatewayPort}`, token, p.measureMs, p.httpConnections),
      answersOf,
    );
    await drain(db, schema);
    const backlog = Math.ceil(p.auditEvents / AUDIT_ROWS_PER_SUBMISSION);
    audit = await step(
      'audit',
      `audit rows: the backlog of ${backlog} routed submissions (${backlog * AUDIT_ROWS_PER_SUBMISSION} events: the router's decision batches, the recipients' receptions) drained by a restarted audit service`,
      async () => {
        await running.get('audit')!.stop();
        await publishAuditBacklog(b, backlog);
        const measuring = auditDrainRate(db, schema, backlog * AUDIT_ROWS_PER_SUBMISSION);
        await start('audit');
        return measuring;
      },
      (r) => `${fmt(r.rowsPerSecond)} rows/s (${r.rows} rows)${r.timedOut ? ' — TIMED OUT' : ''}`,
    );
    peakMemory = await step(
      'peakMemory',
      'peak resident memory under the load above (since each service started)',
      async () => {
        const peak: Record<string, number> = {};
        for (const [name, proc] of running) peak[name] = await peakResidentMb(proc.pid);
        return peak;
      },
      megabytesOf,
    );
    memory = await step(
      'memory',
      'resident memory at rest (idle, after each service gave back what it could), every service of npm start',
      async () => {
        const nodes = services.filter((s) => !running.has(s.name)).map((s) => s.name);
        // Start the node apps on empty inboxes, so that "at rest" means at rest.
        for (const node of nodes) await b.jsm.streams.purge(Streams.inbox(node)).catch(() => undefined);
        await Promise.all(nodes.map((n) => start(n)));
        await sleep(p.restMs);
        const rss: Record<string, number> = {};
        for (const [name, proc] of running) rss[name] = await residentMb(proc.pid);
        return rss;
      },
      megabytesOf,
    );
    // The scaling table after the figures of record (memory at rest included), under the same conditions as
    // the default rows: the node apps stopped again.
    if (p.scaling) {
      for (const node of services.map((s) => s.name).filter((n) => !CORE_SERVICES.includes(n)))
        if (running.has(node)) {
          await running.get(node)!.stop();
          running.delete(node);
        }
      await drain(db, schema);
      for (const row of SCALING) {
        const r = await step(
          `scaling_${row.key}`,
          `scaling, ${row.label}: ${p.scalingMessages} submissions, then delivery p99 at up to ${p.latencyRate}/s for ${sec(p.scalingLatencyMs)}`,
          async () => {
            const t = await routedThroughput(b, db, schema, p.scalingMessages, row.shape);
            await drain(db, schema);
            // At most half the throughput just measured: latency at a load the exchange keeps up with, not
            // the length of a queue that only grows.
            const rate = Math.max(1, Math.min(p.latencyRate, Math.floor(t.messagesPerSecond / 2)));
            const l = await deliveryLatency(b, rate, p.scalingLatencyMs, row.shape);
            await drain(db, schema);
            return { ...t, p99Ms: l.p99Ms, rate };
          },
          (r) =>
            `${fmt(r.messagesPerSecond)} messages/s; p99 ${fmt(r.p99Ms)} ms at ${r.rate}/s (fan-out ${r.fanOut}, ${r.payloadBytes} bytes)`,
        );
        scaling.push(scalingRow(row.label, 1, r, r && { p99Ms: r.p99Ms, ratePerSecond: r.rate }));
        if (r)
          Object.assign(figures, {
            [`scaling_${row.key}_perSecond`]: r.messagesPerSecond,
            [`scaling_${row.key}_p99Ms`]: r.p99Ms,
            [`scaling_${row.key}_latencyRatePerSecond`]: r.rate,
            [`scaling_${row.key}_fanOut`]: r.fanOut,
            [`scaling_${row.key}_bytes`]: r.payloadBytes,
          });
      }
      memoryAfterScaling = await step(
        'memoryAfterScaling',
        'resident memory at rest after the scaling table (largest payloads and fan-outs)',
        async () => {
          await drain(db, schema);
          await sleep(p.restMs);
          const rss: Record<string, number> = {};
          for (const [name, proc] of running) rss[name] = await residentMb(proc.pid);
          return rss;
        },
        megabytesOf,
      );
    }
    await Promise.all([...running.values()].map((s) => s.stop()));
    running.clear();
  }
  if (routed)
    Object.assign(figures, {
      routedMessagesPerSecond: routed.messagesPerSecond,
      routedFanOut: routed.fanOut,
      routedAuditRowsPerSecond: routed.auditRowsPerSecond,
    });
  if (routedTwo) figures.routedTwoRoutersMessagesPerSecond = routedTwo.messagesPerSecond;
  if (latency)
    Object.assign(figures, {
      latencyRatePerSecond: latency.ratePerSecond,
      latencyP50Ms: latency.p50Ms,
      latencyP99Ms: latency.p99Ms,
      latencyMaxMs: latency.maxMs,
      latencyDelivered: latency.delivered,
      latencySent: latency.sent,
    });
  if (gatewayAlone)
    Object.assign(figures, {
      gatewayAloneSubmissionsPerSecond: gatewayAlone.perSecond,
      gatewayAloneOtherAnswers: JSON.stringify(gatewayAlone.others),
    });
  if (gateway)
    Object.assign(figures, {
      gatewaySubmissionsPerSecond: gateway.perSecond,
      gatewayOtherAnswers: JSON.stringify(gateway.others),
    });
  if (audit)
    Object.assign(figures, { auditRowsPerSecond: audit.rowsPerSecond, auditRowsDrained: audit.rows });
  if (memory) for (const [n, mb] of Object.entries(memory)) figures[`residentMb_${n}`] = mb;
  if (peakMemory) for (const [n, mb] of Object.entries(peakMemory)) figures[`peakResidentMb_${n}`] = mb;
  if (memoryAfterScaling)
    for (const [n, mb] of Object.entries(memoryAfterScaling)) figures[`scalingResidentMb_${n}`] = mb;

  out('\naudit store');
  let verify;
  if (verificationAvailable()) {
    verify = await step(
      'verify',
      'verifying the hash chain the audit service wrote',
      () => verificationRate(dbUrl, schema),
      (r) =>
        `${fmt(r.rowsPerSecond)} rows/s over ${r.rows} rows, ${verificationReaders()} readers (${r.ok ? 'chain intact' : 'chain BROKEN'})`,
    );
    if (verify)
      Object.assign(figures, {
        verifyRowsPerSecond: verify.rowsPerSecond,
        verifyRows: verify.rows,
        verifyOk: String(verify.ok),
      });
  } else {
    errors.verify = 'verifyAuditChain is not in this build of #audit-store';
    out('· verification: not available in this build');
  }
  const seeded = await step(
    'trailSeed',
    `seeding ${p.trailRows.toLocaleString('en-US')} audit rows (at most ${sec(p.trailSeedBudgetMs)})`,
    async () => {
      const ds = await openAuditStore({ url: dbUrl, schema: trailSchema });
      await ds.destroy();
      return seedTrail(db, trailSchema, p.trailRows, p.trailSeedBudgetMs, (n) =>
        process.stdout.write(`${(n / 1e6).toFixed(2)}M `),
      );
    },
    (r) => `${r.rows.toLocaleString('en-US')} rows in ${r.seconds.toFixed(0)} s`,
  );
  let trail;
  if (seeded) {
    figures.trailTableRows = seeded.rows;
    trail = await step(
      'trail',
      `trail of one message, ${p.trailQueries} messages at random`,
      () => trailQueryTime(db, trailSchema, seeded.rows, p.trailQueries),
      (r) => `p50 ${fmt(r.p50Ms)} ms, p99 ${fmt(r.p99Ms)} ms (${fmt(r.rowsPerTrail, 1)} rows each)`,
    );
    if (trail)
      Object.assign(figures, { trailP50Ms: trail.p50Ms, trailP99Ms: trail.p99Ms, trailMaxMs: trail.maxMs });
  }

  await cleanup();

  const rssValues = memory ? Object.values(memory).filter((v) => !Number.isNaN(v)) : [];
  const maxRss = rssValues.length ? Math.max(...rssValues) : null;
  const heaviest = memory ? Object.entries(memory).sort((a, b) => b[1] - a[1])[0]?.[0] : undefined;
  const peakValues = peakMemory ? Object.values(peakMemory).filter((v) => !Number.isNaN(v)) : [];
  const maxPeak = peakValues.length ? Math.max(...peakValues) : null;
  const peakHeaviest = peakMemory
    ? Object.entries(peakMemory).sort((a, b) => b[1] - a[1])[0]?.[0]
    : undefined;
  const routedRatio = ratio(routed?.messagesPerSecond, js);
  const isolationRatio = ratio(jsIsolated, js);
  const auditRatio = ratio(audit?.rowsPerSecond, pgRaw);
  const gatewayAloneRatio = ratio(gatewayAlone?.perSecond, echo?.perSecond);
  const gatewayRatio = ratio(gateway?.perSecond, echo?.perSecond);
  const verify1M = verify ? 1_000_000 / verify.rowsPerSecond : null;
  const goals: GoalLine[] = [
    {
      figure: 'routed messages/s (fan-out 3, audited, distinct payloads) ÷ JetStream publish+ack 1 KB',
      measured: perSecond(routed?.messagesPerSecond),
      baseline: perSecond(js),
      value: routedRatio,
      goal: '≥ 0.12',
      met: atLeast(routedRatio, 0.12),
      note: routed && routed.fanOut !== 3 ? `fan-out measured ${routed.fanOut}` : undefined,
    },
    {
      figure: 'routed messages/s with two routers side by side ÷ with one',
      measured: perSecond(routedTwo?.messagesPerSecond),
      baseline: perSecond(routed?.messagesPerSecond),
      value: ratio(routedTwo?.messagesPerSecond, routed?.messagesPerSecond),
      goal: 'reported',
      met: undefined,
      note: 'on the same two cores as the audit service, the nodes, PostgreSQL and nats-server',
    },
    {
      figure: 'cost of isolation: JetStream publish+ack on the isolated broker ÷ on an open broker',
      measured: perSecond(jsIsolated),
      baseline: perSecond(js),
      value: isolationRatio,
      goal: 'reported',
      met: undefined,
      note: 'MSX runs on the isolated broker: accounts per party, mutual TLS; the open broker is the baseline',
    },
    {
      figure: `submit → delivery p99 at ${p.latencyRate}/s`,
      measured: latency ? `p50 ${fmt(latency.p50Ms)} ms` : 'n/a',
      baseline: '',
      value: latency?.p99Ms ?? null,
      goal: '≤ 20 ms',
      met: atMost(latency?.p99Ms ?? null, 20),
    },
    {
      figure: 'audit rows/s ÷ batched PostgreSQL inserts (same row shape)',
      measured: perSecond(audit?.rowsPerSecond),
      baseline: perSecond(pgRaw),
      value: auditRatio,
      goal: '≥ 0.8',
      met: atLeast(auditRatio, 0.8),
    },
    {
      figure: 'gateway alone (routing paused) submissions/s ÷ bare HTTP JSON echo (NestJS+Fastify)',
      measured: perSecond(gatewayAlone?.perSecond),
      baseline: perSecond(echo?.perSecond),
      value: gatewayAloneRatio,
      goal: '≥ 0.35',
      met: atLeast(gatewayAloneRatio, 0.35),
    },
    {
      figure: 'gateway in the running pipeline submissions/s ÷ bare HTTP JSON echo',
      measured: perSecond(gateway?.perSecond),
      baseline: perSecond(echo?.perSecond),
      value: gatewayRatio,
      goal: 'reported',
      met: undefined,
      note: 'the router and the audit service share the cores with the gateway here',
    },
    {
      figure: `trail of one message, p99 (${seeded ? `${(seeded.rows / 1e6).toFixed(2)}M` : '?'} rows)`,
      measured: trail ? `p50 ${fmt(trail.p50Ms)} ms` : 'n/a',
      baseline: '',
      value: trail?.p99Ms ?? null,
      goal: '≤ 5 ms at 10M rows',
      met: atMost(trail?.p99Ms ?? null, 5),
      note:
        seeded && seeded.rows < 10_000_000
          ? `table scaled to ${seeded.rows.toLocaleString('en-US')} rows to fit the time budget (goal is at 10M; --trail-rows N)`
          : undefined,
    },
    {
      figure: 'verify 1 million audit rows (projected from the measured rate)',
      measured: verify ? `${perSecond(verify.rowsPerSecond)} over ${verify.rows} rows` : 'n/a',
      baseline: '',
      value: verify1M,
      goal: '≤ 5 s',
      met: atMost(verify1M, 5),
      note: verificationAvailable() ? undefined : 'verifyAuditChain not available in this build',
    },
    {
      figure: 'resident memory per service at rest (largest)',
      measured: heaviest ? `${heaviest}` : 'n/a',
      baseline: '',
      value: maxRss,
      goal: '≤ 120 MB',
      met: atMost(maxRss, 120),
    },
    ...(memoryAfterScaling
      ? [
          {
            figure: 'resident memory per service at rest after the scaling table (largest)',
            measured: Object.entries(memoryAfterScaling).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'n/a',
            baseline: '',
            value: Math.max(...Object.values(memoryAfterScaling).filter((v) => !Number.isNaN(v))),
            goal: 'reported',
            met: undefined,
          },
        ]
      : []),
    {
      figure: 'peak resident memory per service under load (largest)',
      measured: peakHeaviest ? `${peakHeaviest}` : 'n/a',
      baseline: '',
      value: maxPeak,
      goal: 'reported',
      met: undefined,
    },
  ];
  const report: BenchReport = {
    mode: p.mode,
    startedAt: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    machine: machine(),
    figures,
    goals,
    errors,
  };
  const path = writeReport(report);
  if (p.scaling) {
    const rows: ScalingRow[] = [
      scalingRow('referral, fan-out 3 (the default)', 1, routed, latency),
      scalingRow('the default, two routers', 2, routedTwo),
      ...scaling,
    ];
    out(
      `\nscaling (one change from the default at a time; router, audit and gateway on the same two cores; no node app running)\n${scalingTable(rows)}`,
    );
  }
  out(`\n${goalsTable(goals)}`);
  out(
    `\n${Object.keys(errors).length ? `${Object.keys(errors).length} measurement(s) failed: ${Object.keys(errors).join(', ')}\n` : ''}done in ${report.durationSeconds.toFixed(0)} s; written to ${path}`,
  );
  // Not a speed check: a non-zero exit only says that something could not be measured at all.
  const unmeasured = Object.keys(errors).filter((k) => !(k === 'verify' && !verificationAvailable()));
  process.exit(unmeasured.length > 0 ? 1 : 0);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await cleanup();
  process.exit(1);
});
