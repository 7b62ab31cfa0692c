/**
 * Starts a disposable exchange for the console tests, as `npm start` runs one (every service a process, the
 * isolated broker), in a state folder, PostgreSQL schema and ports of its own, and issues the people's
 * credentials with `npm run admin`'s command. The function it returns is the global teardown: it stops the
 * exchange, removes the folder and drops the schemas and roles the run made.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestSchema, freePort, waitFor, type TestSchema } from '#testing';
import { EXCHANGE_ENV, type ConsoleExchange } from './exchange.js';

/** Where the exchange's output goes (git-ignored, kept after the run to read when something failed). */
const LOG_FILE = 'test-results/console-exchange.log';
/** How long the whole exchange may take to come up on a busy 2-core machine. */
const START_TIMEOUT_MS = 180_000;
/** How long it may take to stop on SIGTERM before what is left is killed. */
const STOP_TIMEOUT_MS = 30_000;

/**
 * Process ids of this run's exchange: every process started with its state folder in its environment (the
 * services) or on its command line (nats-server, PostgreSQL's helper).
 */
function processesOf(stateDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (environ.includes(`MSX_STATE_DIR=${stateDir}`) || cmdline.includes(stateDir))
        pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

function issue(env: NodeJS.ProcessEnv, person: string, role: 'officer' | 'auditor'): string {
  const run = spawnSync(
    process.execPath,
    ['dist/scripts/admin.js', 'issue', '--person', person, '--role', role, '--as', 'msx.admin-1'],
    { env, encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`admin issue ${person} failed: ${run.stderr}`);
  return run.stdout.trim();
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  for (const built of ['dist/scripts/start.js', 'dist/console/index.html'])
    if (!existsSync(built)) throw new Error(`${built} is missing: build first (npm run test:console does)`);
  mkdirSync('test-results', { recursive: true });
  const stateDir = mkdtempSync(join(tmpdir(), 'msx-console-'));
  let db: TestSchema | undefined;
  let exchange: ChildProcess | undefined;

  const teardown = async () => {
    if (exchange && exchange.exitCode === null && exchange.signalCode === null) {
      const exited = new Promise((r) => exchange!.once('exit', r));
      exchange.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS))]);
    }
    // Whatever did not stop in time: only processes of this run's state folder.
    for (const pid of processesOf(stateDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(stateDir, { recursive: true, force: true });
    await db?.drop();
  };

  try {
    db = await createTestSchema('console');
    const gatewayPort = await freePort();
    // The exchange's processes get this process's environment (PATH, NATS_SERVER_BIN) and their own settings.
    const env: NodeJS.ProcessEnv = {
      // eslint-disable-next-line no-restricted-syntax
      ...process.env,
      MSX_STATE_DIR: stateDir,
      MSX_DATABASE_URL: db.url,
      MSX_DATABASE_SCHEMA: db.schema,
      MSX_NATS_URL: `nats://127.0.0.1:${await freePort()}`,
      MSX_GATEWAY_PORT: String(gatewayPort),
    };
    const log = createWriteStream(LOG_FILE);
    let printed = '';
    exchange = spawn(process.execPath, ['dist/scripts/start.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exitedEarly = new Promise<never>((_, reject) =>
      exchange!.once('exit', (code) => reject(new Error(`the exchange exited (${code}); see ${LOG_FILE}`))),
    );
    for (const stream of [exchange.stdout!, exchange.stderr!])
      stream.on('data', (chunk: Buffer) => {
        log.write(chunk);
        if (printed.length < 1_000_000) printed += chunk.toString('utf8');
      });
    await Promise.race([
      waitFor(
        () => Promise.resolve(/^MSX is running/m.test(printed) ? true : undefined),
        `the exchange to start (see ${LOG_FILE})`,
        START_TIMEOUT_MS,
      ),
      exitedEarly,
    ]);
    exitedEarly.catch(() => undefined);
    const info: ConsoleExchange = {
      gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
      tokens: {
        emlo: issue(env, 'emlo-ne.officer-17', 'officer'),
        cpIt: issue(env, 'cp-it.officer-5', 'officer'),
        auditor: issue(env, 'edps.auditor-1', 'auditor'),
      },
    };
    // Workers inherit the runner's environment as it is after the global setup.
    // eslint-disable-next-line no-restricted-syntax
    process.env[EXCHANGE_ENV] = JSON.stringify(info);
    return teardown;
  } catch (err) {
    await teardown();
    throw err;
  }
}
