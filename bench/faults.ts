/**
 * `npm run faults [-- --quick] [--only router,postgres]`: the fault suite (DESIGN §8, "reliability is measured,
 * not assumed"). The exchange runs as processes (audit, router, gateway, and contact point cp-it as the
 * recipient) on a private isolated broker and a PostgreSQL of its own (the embedded one, so that it can be
 * stopped). Under a steady load of submissions through the gateway, one fault per scenario: a process killed
 * with SIGKILL and started again, nats-server killed and started again, PostgreSQL down, the recipient
 * offline. For each it reports what the exchange acknowledged, what of that was lost or duplicated, whether
 * every decision was recorded, how long the exchange took to catch up after the fault, the answers the
 * gateway gave, and whether the audit chain verifies; and writes the same as JSON beside the benchmark's
 * results. Loopback only; bounded in count and time; it stops everything it started, also on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { verifyAuditChain } from '#audit-store';
import { ADMIN_PRINCIPAL, uuidv7 } from '#contracts';
import { principalOf, Streams } from '#messaging';
import {
  loadServices,
  READY_LINE,
  startEmbeddedPostgres,
  startService,
  type EmbeddedPostgres,
  type ServiceProcess,
} from '#process-kit';
import { freePort, startSecureBroker, waitFor, type SecureBroker } from '#testing';
import { validInternetContentReferralEnvelope } from '#testing/envelopes';
import { machine } from './report.js';
import { sleep } from './stats.js';

/** The party that submits (a liaison officer's post, through the gateway) and the one that receives. */
const SENDER = 'emlo-ne';
const RECIPIENT = 'cp-it';
/** The processes of the exchange under test, by their names in deploy/services.yaml. */
type ProcessName = 'audit' | 'router' | 'gateway' | typeof RECIPIENT;

interface Plan {
  mode: 'quick' | 'default';
  /** Submissions per second through the gateway. */
  rate: number;
  /** Load before the fault, and after the faulty part is back. */
  beforeMs: number;
  afterMs: number;
  /** How long PostgreSQL stays down, and the recipient offline. */
  outageMs: number;
  /** How long a killed process stays dead before it is started again. */
  deadMs: number;
  /** Longest wait for the exchange to catch up after a scenario. */
  settleMs: number;
  only: ReadonlySet<string> | null;
}

function plan(args: string[]): Plan {
  const quick = args.includes('--quick');
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',').filter(Boolean)) : null;
  if (only?.size === 0)
    throw new Error(`--only needs scenario names: ${SCENARIOS.map((s) => s.key).join(',')}`);
  for (const key of only ?? [])
    if (!SCENARIOS.some((s) => s.key === key))
      throw new Error(`--only: no scenario "${key}"; there are ${SCENARIOS.map((s) => s.key).join(', ')}`);
  return quick
    ? {
        mode: 'quick',
        rate: 25,
        beforeMs: 2_000,
        afterMs: 3_000,
        outageMs: 8_000,
        deadMs: 2_000,
        settleMs: 120_000,
        only,
      }
    : {
        mode: 'default',
        rate: 50,
        beforeMs: 5_000,
        afterMs: 10_000,
        outageMs: 30_000,
        deadMs: 5_000,
        settleMs: 300_000,
        only,
      };
}

/** The running exchange a scenario acts on. */
interface Exchange {
  nats: SecureBroker;
  postgres: EmbeddedPostgres;
  /** Starts (or starts again) one process and resolves when it is ready. */
  start(name: ProcessName): Promise<void>;
  /** The process by name, while it runs. */
  process(name: ProcessName): ServiceProcess | undefined;
  stop(name: ProcessName): Promise<void>;
}

interface Scenario {
  key: string;
  label: (p: Plan) => string;
  /** Does the fault; resolves when the faulty part is back. */
  inject(x: Exchange, p: Plan): Promise<void>;
}

/** A process killed with SIGKILL, as a crash ends it, and started again after `deadMs`. */
const killed = (name: ProcessName): Scenario => ({
  key: name === RECIPIENT ? 'node' : name,
  label: (p) =>
    `${name === RECIPIENT ? `the recipient's node app (${RECIPIENT})` : `the ${name}`} killed (SIGKILL), started again after ${p.deadMs / 1000} s`,
  inject: async (x, p) => {
    await x.process(name)!.kill();
    await sleep(p.deadMs);
    await x.start(name);
  },
});

const SCENARIOS: Scenario[] = [
  killed('router'),
  killed('audit'),
  killed('gateway'),
  killed(RECIPIENT),
  {
    key: 'nats',
    label: (p) => `nats-server killed (SIGKILL), started again after ${p.deadMs / 1000} s`,
    inject: async (x, p) => {
      await x.nats.kill();
      await sleep(p.deadMs);
      await x.nats.start();
    },
  },
  {
    key: 'postgres',
    label: (p) => `PostgreSQL down (stopped) for ${p.outageMs / 1000} s`,
    inject: async (x, p) => {
      await x.postgres.stop();
      await sleep(p.outageMs);
      await x.postgres.start();
    },
  },
  {
    key: 'nodeOffline',
    label: (p) => `the recipient (${RECIPIENT}) offline (stopped) for ${p.outageMs / 1000} s`,
    inject: async (x, p) => {
      await x.stop(RECIPIENT);
      await sleep(p.outageMs);
      await x.start(RECIPIENT);
    },
  },
];

/** What one scenario measured. */
export interface FaultResult {
  scenario: string;
  label: string;
  /** Submissions sent (each until the gateway acknowledged it, or 30 s after the load ended). */
  sent: number;
  /** Acknowledged by the gateway (202): the exchange has them. */
  acknowledged: number;
  /**
   * Sent once the faulty part was back but never acknowledged: the exchange did not come back for its
   * clients (a share above 10 % fails the scenario).
   */
  unacknowledgedAfter: number;
  /** Acknowledged but never recorded as submitted, or never received by the recipient. */
  lost: number;
  /**
   * Recorded as submitted more than once (routed twice), or more copies put into the recipient's inbox
   * stream than submissions acknowledged. The recipient's own `received` rows cannot show a second handling:
   * their event ids are derived from the item, and the trail keeps one per id.
   */
  duplicated: number;
  /** Copies the router put into the recipient's inbox stream during the scenario. */
  inboxCopies: number;
  /** Acknowledged submissions whose routing decision for the recipient is in the trail. */
  decisionsComplete: number;
  /**
   * From the faulty part being back until every acknowledged submission was received and audited, measured
   * once the load has ended (so never less than the load after the fault); null if never.
   */
  recoveredMs: number | null;
  /**
   * The gateway's answers by status: 202, 503 and 429 (refused for now, tried again), `unreachable`; any
   * other (a 4xx or 5xx) is a defect and fails the scenario.
   */
  answers: Record<string, number>;
  /** The audit chain verified after the scenario, and over how many rows. */
  chainOk: boolean;
  chainRows: number;
}

/** Per message, how often the trail says it was submitted, delivered to the recipient, and received there. */
interface MessageTrail {
  submitted: number;
  delivered: number;
  received: number;
}

async function trailOf(db: pg.Pool, schema: string, ids: string[]): Promise<Map<string, MessageTrail>> {
  const { rows } = await db.query<{
    message_id: string;
    submitted: string;
    delivered: string;
    received: string;
  }>(
    `SELECT message_id,
            count(*) FILTER (WHERE operation = 'submitted') AS submitted,
            count(*) FILTER (WHERE operation = 'delivered' AND counterpart_node = $2) AS delivered,
            count(*) FILTER (WHERE operation = 'received' AND actor_node = $2) AS received
       FROM "${schema}".audit_entry
      WHERE message_id = ANY($1::text[])
      GROUP BY message_id`,
    [ids, RECIPIENT],
  );
  return new Map(
    rows.map((r) => [
      r.message_id,
      { submitted: Number(r.submitted), delivered: Number(r.delivered), received: Number(r.received) },
    ]),
  );
}

/** Counts for one scenario's acknowledged submissions, from the trail. */
function tally(acked: readonly string[], trail: Map<string, MessageTrail>) {
  let lost = 0;
  let duplicated = 0;
  let decisions = 0;
  for (const id of acked) {
    const t = trail.get(id) ?? { submitted: 0, delivered: 0, received: 0 };
    if (t.submitted === 0 || t.received === 0) lost++;
    if (t.submitted > 1 || t.delivered > 1 || t.received > 1) duplicated++;
    if (t.delivered > 0) decisions++;
  }
  return { lost, duplicated, decisions };
}

/** How long a submission is still tried after the load has ended, before it counts as never acknowledged. */
const RETRY_GRACE_MS = 30_000;

/**
 * Sends submissions through the gateway at `rate` until `running()` turns false; each is sent again, with the
 * same id, until it is acknowledged, as a client does: after Retry-After on 503 or 429, after half a second
 * when the gateway cannot be reached; for at most {@link RETRY_GRACE_MS} after the load has ended. Any other
 * answer ends that submission and counts against the scenario.
 */
async function load(
  gatewayUrl: string,
  token: string,
  rate: number,
  running: () => boolean,
): Promise<{ sent: { id: string; atMs: number }[]; acked: string[]; answers: Record<string, number> }> {
  const sent: { id: string; atMs: number }[] = [];
  const acked: string[] = [];
  const answers: Record<string, number> = {};
  const count = (k: string) => (answers[k] = (answers[k] ?? 0) + 1);
  const run = { endedAt: undefined as number | undefined };
  const giveUp = () => run.endedAt !== undefined && Date.now() > run.endedAt + RETRY_GRACE_MS;
  const one = async (id: string) => {
    const body = JSON.stringify(
      validInternetContentReferralEnvelope({
        id,
        recipients: [RECIPIENT],
        internetContentReferral: {
          ...validInternetContentReferralEnvelope().internetContentReferral!,
          evidenceSha256: randomBytes(32).toString('hex'),
        },
      }),
    );
    for (;;) {
      try {
        const res = await fetch(`${gatewayUrl}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        count(String(res.status));
        await res.arrayBuffer();
        if (res.status === 202) {
          acked.push(id);
          return;
        }
        if ((res.status !== 503 && res.status !== 429) || giveUp()) return;
        await sleep(1_000 * Math.min(Number(res.headers.get('retry-after') ?? 1), 3));
      } catch {
        count('unreachable');
        if (giveUp()) return;
        await sleep(500);
      }
    }
  };
  const inFlight: Promise<void>[] = [];
  const started = Date.now();
  for (let i = 0; running(); i++) {
    const wait = started + (i * 1000) / rate - Date.now();
    if (wait > 0) await sleep(wait);
    const id = uuidv7();
    sent.push({ id, atMs: Date.now() });
    inFlight.push(one(id));
  }
  run.endedAt = Date.now();
  await Promise.all(inFlight);
  return { sent, acked, answers };
}

async function main(): Promise<void> {
  const p = plan(process.argv.slice(2));
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `MSX fault suite (${p.mode}): ${p.rate} submissions/s through the gateway to ${RECIPIENT}; loopback only`,
  );
  const cleanups: (() => Promise<unknown>)[] = [];
  // One cleanup, whoever asks first (the end of the run, a failure, a signal); the others wait for it.
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      out('\ninterrupted: stopping what the fault suite started');
      void cleanup().then(() => process.exit(130));
    });
  const results: FaultResult[] = [];
  try {
    const nats = await startSecureBroker({ nodes: [SENDER, RECIPIENT] });
    cleanups.push(() => nats.dispose());
    const postgres = await startEmbeddedPostgres();
    cleanups.push(() => postgres.dispose());
    const schema = 'msx_faults';
    const gatewayPort = await freePort();
    const token = randomBytes(24).toString('base64url');
    const env = {
      MSX_DATABASE_URL: postgres.url,
      MSX_DATABASE_SCHEMA: schema,
      MSX_DIRECTORY_FILE: 'deploy/directory.yaml',
      MSX_GATEWAY_HOST: '127.0.0.1',
      MSX_GATEWAY_PORT: String(gatewayPort),
      MSX_GATEWAY_TOKENS: `${SENDER}=${token}`,
    };
    const specs = loadServices();
    const running = new Map<ProcessName, ServiceProcess>();
    const start = async (name: ProcessName) => {
      const spec = specs.find((s) => s.name === name);
      if (!spec) throw new Error(`${name} is not in deploy/services.yaml`);
      const proc = startService(
        spec.app,
        { ...env, ...nats.envOf(principalOf(spec.app, spec.env.MSX_NODE_ID)), ...spec.env },
        { name, keepLines: 40 },
      );
      running.set(name, proc);
      await proc.waitForLine(READY_LINE, 90_000);
    };
    const x: Exchange = {
      nats,
      postgres,
      start,
      process: (name) => running.get(name),
      stop: async (name) => {
        await running.get(name)?.stop();
        running.delete(name);
      },
    };
    cleanups.push(() => Promise.all([...running.keys()].map((n) => x.stop(n))));
    process.stdout.write('· starting audit, router, gateway and cp-it … ');
    await start('audit');
    await Promise.all([start('router'), start('gateway'), start(RECIPIENT)]);
    out('ready');
    const db = new pg.Pool({ connectionString: postgres.url, max: 2 });
    // Queries while PostgreSQL is down fail; the pool must not crash the suite for it.
    db.on('error', () => undefined);
    cleanups.push(() => db.end());
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const admin = await nats.connectAs(ADMIN_PRINCIPAL);
    cleanups.push(() => admin.close());
    /** Copies in the recipient's inbox stream (it keeps them for weeks, acknowledged or not). */
    const inboxCopies = async () =>
      waitFor(
        () =>
          admin.jsm.streams.info(Streams.inbox(RECIPIENT)).then(
            (i) => i.state.messages,
            () => undefined,
          ),
        `${RECIPIENT}'s inbox stream`,
        30_000,
      );

    for (const s of SCENARIOS) {
      if (p.only && !p.only.has(s.key)) continue;
      process.stdout.write(`· ${s.key}: ${s.label(p)} … `);
      const copiesBefore = await inboxCopies();
      let loading = true;
      const traffic = load(gatewayUrl, token, p.rate, () => loading);
      await sleep(p.beforeMs);
      await s.inject(x, p);
      const backAt = Date.now();
      await sleep(p.afterMs);
      loading = false;
      const { sent, acked, answers } = await traffic;
      // Caught up: every acknowledged submission audited as submitted and received by the recipient.
      let recoveredMs: number | null = null;
      let trail = new Map<string, MessageTrail>();
      for (const deadline = Date.now() + p.settleMs; Date.now() < deadline; await sleep(500)) {
        trail = await trailOf(db, schema, acked).catch(() => trail);
        if (tally(acked, trail).lost === 0) {
          recoveredMs = Date.now() - backAt;
          break;
        }
      }
      // Settle: a late redelivery would count as a duplicate now, not after the suite.
      await sleep(2_000);
      trail = await trailOf(db, schema, acked);
      const { lost, duplicated, decisions } = tally(acked, trail);
      const copies = (await inboxCopies()) - copiesBefore;
      const ackedIds = new Set(acked);
      const chain = await verifyAuditChain({ url: postgres.url, schema }, []);
      const r: FaultResult = {
        scenario: s.key,
        label: s.label(p),
        sent: sent.length,
        acknowledged: acked.length,
        unacknowledgedAfter: sent.filter((x) => x.atMs >= backAt && !ackedIds.has(x.id)).length,
        lost,
        duplicated: duplicated + Math.max(0, copies - acked.length),
        inboxCopies: copies,
        decisionsComplete: decisions,
        recoveredMs,
        answers,
        chainOk: chain.ok,
        chainRows: chain.rowsVerified,
      };
      results.push(r);
      out(
        `${r.acknowledged}/${r.sent} acknowledged (${r.unacknowledgedAfter} sent after the fault never), ` +
          `${r.lost} lost, ${r.duplicated} duplicated, ${r.inboxCopies} copies in ${RECIPIENT}'s inbox, ` +
          `${r.decisionsComplete}/${r.acknowledged} decisions recorded, caught up ` +
          `${r.recoveredMs === null ? 'NEVER' : `${(r.recoveredMs / 1000).toFixed(1)} s`} after the fault, ` +
          `answers ${JSON.stringify(r.answers)}, chain ${r.chainOk ? 'verified' : 'BROKEN'} (${r.chainRows} rows)`,
      );
    }
    // Written even when a scenario fails to run: what was measured before it.
  } finally {
    await cleanup();
    writeResults(p, results);
  }
  report(results);
}

/** Whether a scenario failed: anything acknowledged lost or duplicated, a decision missing, the chain broken,
 * no catching up, clients not served again after the fault, or an answer that is a defect. */
function failures(r: FaultResult): string[] {
  const sentAfter = r.unacknowledgedAfter;
  return [
    r.acknowledged === 0 ? 'nothing acknowledged' : '',
    r.lost > 0 ? `${r.lost} lost` : '',
    r.duplicated > 0 ? `${r.duplicated} duplicated` : '',
    r.decisionsComplete < r.acknowledged ? `${r.acknowledged - r.decisionsComplete} decisions missing` : '',
    !r.chainOk ? 'chain broken' : '',
    r.recoveredMs === null ? 'never caught up' : '',
    sentAfter > 0.1 * r.sent ? `${sentAfter} sent after the fault never acknowledged` : '',
    ...Object.entries(r.answers)
      .filter(([status]) => !['202', '503', '429', 'unreachable'].includes(status))
      .map(([status, n]) => `${n} answered ${status}`),
  ].filter(Boolean);
}

function writeResults(p: Plan, results: FaultResult[]): void {
  const dir = resolve('bench/results');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-faults-${p.mode}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { mode: p.mode, machine: machine(), plan: { ...p, only: p.only && [...p.only] }, results },
      null,
      2,
    ),
  );
  process.stdout.write(`\nwritten to ${file}\n`);
}

/** The table, and the verdict: not a speed check; any failure of {@link failures} fails the suite. */
function report(results: FaultResult[]): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out('');
  out('| scenario | acknowledged | lost | duplicated | decisions recorded | caught up after | verdict |');
  out('|---|---|---|---|---|---|---|');
  for (const r of results) {
    const f = failures(r);
    out(
      `| ${r.scenario} | ${r.acknowledged} | ${r.lost} | ${r.duplicated} | ${r.decisionsComplete} | ` +
        `${r.recoveredMs === null ? 'never' : `${(r.recoveredMs / 1000).toFixed(1)} s`} | ${f.length ? `FAILED: ${f.join('; ')}` : 'ok'} |`,
    );
  }
  const failed = results.filter((r) => failures(r).length > 0);
  if (failed.length > 0) {
    out(`failed: ${failed.map((r) => r.scenario).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`faults: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
