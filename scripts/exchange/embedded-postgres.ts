import { resolve } from 'node:path';
import { embeddedPostgresPassword, POSTGRES_DIR } from './local-state.js';
import { reachable } from './reachable.js';
import { exitOf, spawnServer, stopProcess, type OwnedServer } from './server-process.js';

const HELPER = resolve('dist/scripts/exchange/embedded-postgres.main.js');

export interface EmbeddedPostgresOptions {
  /** Loopback port to listen on. */
  port: number;
  /** Data folder; `.msx/postgres` for `npm start`. Kept between runs. */
  dataDir?: string;
  /** Password of the `postgres` user; by default the one kept in `.msx/postgres-password`. */
  password?: string;
  onLine?: (line: string) => void;
  /** How long to wait for it to accept connections (the first start runs initdb), in milliseconds. */
  timeoutMs?: number;
}

/**
 * Starts the embedded PostgreSQL (real PostgreSQL binaries from the npm registry) on 127.0.0.1 in a
 * process of its own, with its data in `.msx/postgres`. Resolves with its URL once it accepts connections.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<OwnedServer> {
  const password = opts.password ?? embeddedPostgresPassword();
  const dataDir = opts.dataDir ?? POSTGRES_DIR;
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/postgres`;
  if (await reachable(url, 500)) throw new Error(`port ${opts.port} is already taken`);
  let ready!: () => void;
  const readyLine = new Promise<void>((r) => (ready = r));
  const lastLines: string[] = [];
  const child = spawnServer(process.execPath, [HELPER], {
    env: {
      ...process.env,
      MSX_EMBEDDED_PG_DIR: dataDir,
      MSX_EMBEDDED_PG_PORT: String(opts.port),
      MSX_EMBEDDED_PG_PASSWORD: password,
    },
    onLine: (line) => {
      lastLines.push(line);
      if (lastLines.length > 20) lastLines.shift();
      if (line.startsWith('embedded PostgreSQL ready')) ready();
      else opts.onLine?.(line);
    },
  });
  const exited = exitOf(child);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    readyLine.then(() => 'ready'),
    exited.then((code) => `exited (${code})`),
    new Promise<string>((r) => (timer = setTimeout(() => r(`not ready after ${timeoutMs} ms`), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome !== 'ready') {
    await stopProcess(child, 5_000);
    throw new Error(`embedded PostgreSQL ${outcome}:\n  ${lastLines.join('\n  ')}`);
  }
  return {
    name: 'postgres',
    url,
    pid: child.pid,
    stop: (graceMs = 15_000) => stopProcess(child, graceMs),
    stopNow: () => void child.kill('SIGTERM'),
  };
}
