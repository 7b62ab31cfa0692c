import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestSchema, freePort, waitFor, type TestSchema } from '#testing';
import { requireBuild } from './support.js';

/**
 * `npm start` as a newcomer and an operator meet it: one SIGTERM to the npm process (what systemd, Docker and
 * CI send) stops everything it started; a second start while one runs is refused and leaves the running one
 * untouched; a bad setting is refused once, up front, before anything is started. Each exchange runs in a
 * state folder of its own (MSX_STATE_DIR) on free ports, against the test PostgreSQL in an own schema.
 */
interface Started {
  proc: ChildProcess;
  /** Everything it printed so far. */
  text(): string;
  exited: Promise<number | null>;
}

function npmStart(env: Record<string, string>, args: string[] = []): Started {
  const proc = spawn('npm', ['run', '--silent', 'start:built', ...(args.length ? ['--', ...args] : [])], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  const onData = (chunk: Buffer) => (printed += chunk.toString('utf8'));
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const exited = new Promise<number | null>((r) => proc.once('close', (code) => r(code)));
  return { proc, text: () => printed, exited };
}

/** Process ids whose command line mentions `marker` (the state folder every process of an exchange names). */
function processesMentioning(marker: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(marker) && !l.includes('ps -eo'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

/** Every process whose environment names MSX_STATE_DIR=`dir` (the services do not name it on their command line). */
function processesOf(dir: string): number[] {
  const pids: number[] = [];
  for (const pid of execFileSync('ps', ['-eo', 'pid='], { encoding: 'utf8' }).split('\n').map(Number)) {
    if (!pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`MSX_STATE_DIR=${dir}`))
        pids.push(pid);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return [...new Set([...pids, ...processesMentioning(dir)])];
}

describe('npm start', () => {
  let db: TestSchema;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    requireBuild();
    db = await createTestSchema('npm_start');
    dir = mkdtempSync(join(tmpdir(), 'msx-start-'));
    env = {
      MSX_STATE_DIR: dir,
      MSX_DATABASE_URL: db.url,
      MSX_DATABASE_SCHEMA: db.schema,
      MSX_NATS_URL: `nats://127.0.0.1:${await freePort()}`,
      MSX_GATEWAY_PORT: String(await freePort()),
    };
  });

  afterAll(async () => {
    for (const pid of processesOf(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  it('refuses a bad setting once, up front, with nothing started', async () => {
    const start = npmStart({ ...env, MSX_LOG_LEVEL: 'loud' });
    expect(await start.exited).toBe(1);
    const text = start.text();
    expect(text).toMatch(/the configuration is refused; nothing was started/);
    expect(
      text.match(/MSX_LOG_LEVEL: must be one of error, warn, log, debug, verbose, got "loud"/g),
    ).toHaveLength(1);
    expect(text).not.toMatch(/starting the isolated broker|restart #/);
    expect(processesOf(dir)).toEqual([]);
  }, 120_000);

  it('stops everything it started on one SIGTERM to the npm process, and refuses a second start meanwhile', async () => {
    const first = npmStart(env);
    await waitFor(
      async () => (/^MSX is running/m.test(first.text()) ? true : undefined),
      'the banner of the first start',
      120_000,
    );
    const runtime = readFileSync(join(dir, 'runtime.json'), 'utf8');
    // Every service has an operations listener of its own, recorded in runtime.json and named in the banner.
    const { opsUrls } = JSON.parse(runtime) as { opsUrls: Record<string, string> };
    expect(Object.keys(opsUrls)).toEqual(expect.arrayContaining(['audit', 'router', 'gateway', 'cp-it']));
    expect(new Set(Object.values(opsUrls)).size).toBe(Object.keys(opsUrls).length);
    expect(first.text()).toContain(`router ${new URL(opsUrls.router).port}`);
    for (const [name, url] of Object.entries(opsUrls))
      await waitFor(
        async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined),
        `${name} ready on its operations listener`,
      );
    expect(await (await fetch(`${opsUrls.router}/metrics`)).text()).toMatch(
      /^# TYPE msx_routed_total counter$/m,
    );
    expect(first.text()).not.toMatch(/token\s+emlo-ne: \S{10,}/);
    expect(first.text()).not.toMatch(/\[ERR\]/);
    const running = processesOf(dir);
    // The supervisor, nats-server and the eight services at least.
    expect(running.length).toBeGreaterThanOrEqual(10);

    const second = npmStart(env);
    expect(await second.exited).toBe(1);
    expect(second.text()).toMatch(/MSX is already running/);
    expect(readFileSync(join(dir, 'runtime.json'), 'utf8')).toBe(runtime);
    expect(processesOf(dir).sort()).toEqual(running.sort());

    first.proc.kill('SIGTERM');
    // npm reports the signal it passed on (143); what matters is that the exchange stopped cleanly.
    expect([0, 143]).toContain(await first.exited);
    await waitFor(
      async () => (processesOf(dir).length === 0 ? true : undefined),
      'every process gone',
      30_000,
    );
    // Every service was stopped by the supervisor, not killed with the group: it logged its own shutdown.
    expect(first.text()).toMatch(/stopping MSX/);
    expect(existsSync(join(dir, 'runtime.json'))).toBe(false);
  }, 240_000);

  it('runs on an open broker only when asked, and says what that gives up', async () => {
    const open = npmStart(env, ['--open-broker']);
    await waitFor(
      async () => (/^MSX is running/m.test(open.text()) ? true : undefined),
      'the banner on the open broker',
      120_000,
    );
    expect(open.text()).toMatch(/WARNING: --open-broker: .* any client can read every inbox/);
    expect(open.text()).toMatch(/NATS {8}nats:\/\/127\.0\.0\.1:\d+ — OPEN broker/);
    open.proc.kill('SIGTERM');
    await open.exited;
    await waitFor(
      async () => (processesOf(dir).length === 0 ? true : undefined),
      'every process gone',
      30_000,
    );
  }, 240_000);
});
