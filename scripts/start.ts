/**
 * `npm start`: runs the whole exchange on this machine, one process per service, supervised. Uses the NATS
 * and PostgreSQL at MSX_NATS_URL and MSX_DATABASE_URL (defaults: the local ones). Gateway tokens are made on
 * first start and kept in .msx/gateway-tokens.env (readable by the owner only, never committed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { resolve } from 'node:path';
import { loadConfig, databaseSpec, directorySpec, int, natsSpec } from '#config';
import { loadDirectory } from '#directory';
import { LOCAL_SERVICES, type ServiceSpec } from './services.js';

const config = loadConfig({
  ...natsSpec,
  ...databaseSpec,
  ...directorySpec,
  MSX_GATEWAY_PORT: int(8080, 0, 65_535),
});
const STATE_DIR = resolve('.msx');
const TOKENS_FILE = resolve(STATE_DIR, 'gateway-tokens.env');
/** A service that crashes is restarted after this many milliseconds, doubling up to 30 s. */
const RESTART_DELAY_MS = 1_000;

function reachable(url: string): Promise<boolean> {
  const u = new URL(url.split(',')[0]);
  const port = Number(u.port || (u.protocol.startsWith('postgres') ? 5432 : 4222));
  return new Promise((done) => {
    const sock = tcpConnect(port, u.hostname);
    sock.setTimeout(2_000, () => (sock.destroy(), done(false)));
    sock.once('connect', () => (sock.destroy(), done(true)));
    sock.once('error', () => done(false));
  });
}

/** Node tokens for the gateway: read from .msx/, or made now for every node of the directory. */
function gatewayTokens(nodes: string[]): string {
  if (existsSync(TOKENS_FILE)) return readFileSync(TOKENS_FILE, 'utf8').trim();
  mkdirSync(STATE_DIR, { recursive: true });
  const tokens = nodes.map((n) => `${n}=${randomBytes(24).toString('base64url')}`).join(',');
  writeFileSync(TOKENS_FILE, `${tokens}\n`, { mode: 0o600 });
  chmodSync(TOKENS_FILE, 0o600);
  return tokens;
}

const children = new Map<string, ChildProcess>();
let stopping = false;

function run(spec: ServiceSpec, env: Record<string, string>, delayMs = RESTART_DELAY_MS): void {
  const child = spawn(process.execPath, [resolve('dist/apps', spec.app, 'src/main.js')], {
    env: { ...process.env, ...env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(spec.name, child);
  const startedAt = Date.now();
  const prefix = `${spec.name.padEnd(9)}|`;
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      for (const line of lines) process.stdout.write(`${prefix} ${line}\n`);
    });
  }
  child.once('exit', (code, signal) => {
    children.delete(spec.name);
    if (stopping) return;
    // A service that ran a while before crashing starts again quickly; one that keeps crashing backs off.
    const next = Date.now() - startedAt > 60_000 ? RESTART_DELAY_MS : Math.min(delayMs * 2, 30_000);
    process.stdout.write(`${prefix} exited (${signal ?? code}); restarting in ${next / 1000} s\n`);
    setTimeout(() => run(spec, env, next), next).unref();
  });
}

async function main(): Promise<void> {
  const directory = loadDirectory(config.MSX_DIRECTORY_FILE);
  const problems: string[] = [];
  if (!(await reachable(config.MSX_NATS_URL))) {
    problems.push(
      `NATS does not answer at ${config.MSX_NATS_URL}: start nats-server with JetStream (nats-server -js) or set MSX_NATS_URL`,
    );
  }
  if (!(await reachable(config.MSX_DATABASE_URL))) {
    problems.push(
      `PostgreSQL does not answer at the host of MSX_DATABASE_URL: start it or set MSX_DATABASE_URL`,
    );
  }
  if (problems.length > 0) {
    process.stderr.write(`cannot start MSX:\n  - ${problems.join('\n  - ')}\n`);
    process.exit(1);
  }
  const tokens = gatewayTokens(directory.nodeIds());
  const env = { MSX_GATEWAY_TOKENS: tokens };
  for (const spec of LOCAL_SERVICES) run(spec, env);

  const emloToken = tokens
    .split(',')
    .find((t) => t.startsWith('emlo-ne='))
    ?.slice('emlo-ne='.length);
  process.stdout.write(
    [
      '',
      `MSX is starting: ${LOCAL_SERVICES.map((s) => s.name).join(', ')}`,
      `gateway: http://127.0.0.1:${config.MSX_GATEWAY_PORT}/v1/messages`,
      `token of emlo-ne (all tokens in ${TOKENS_FILE}): ${emloToken ?? '(none)'}`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping MSX…\n');
    for (const child of children.values()) child.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const child of children.values()) child.kill('SIGKILL');
    }, 10_000);
    const wait = setInterval(() => {
      if (children.size === 0) {
        clearInterval(wait);
        clearTimeout(force);
        process.exit(0);
      }
    }, 100);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${(err as Error).message}\n`);
  process.exit(1);
});
