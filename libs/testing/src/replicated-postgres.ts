import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import {
  freePort,
  onPath,
  queryOn,
  startChild,
  startTcpRelay,
  type ChildHandle,
  type TcpRelay,
} from '#process-kit';
import { waitFor } from './wait-for.js';

/** Where the Debian package `postgresql-<version>` installs its server binaries: `<here>/<version>/bin`. */
const DEBIAN_POSTGRES_DIR = '/usr/lib/postgresql';
/** The binaries a replicated pair needs. */
const BINARIES = ['initdb', 'postgres', 'pg_basebackup', 'pg_ctl'] as const;
/**
 * The name by which the primary waits for the replica (`synchronous_standby_names`), its replication slot
 * and its `cluster_name`: those of `deploy/k8s/postgres`.
 */
const REPLICA_NAME = 'msx_replica';
/** What PostgreSQL logs once it serves, as a primary or as a hot standby. */
const READY = /database system is ready to accept (read-only )?connections/;
/** How long a fast shutdown may take before the server is killed, in milliseconds. */
const STOP_GRACE_MS = 15_000;

/** One PostgreSQL server of a {@link ReplicatedPostgres}: the Debian binaries, run as the `postgres` user. */
export interface PostgresServer {
  /** `primary` or `replica`. */
  name: string;
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: trust authentication, loopback only. */
  url: string;
  port: number;
  dataDir: string;
  /** The postmaster's process id; undefined once it has stopped. */
  pid: number | undefined;
  /** Runs one query on a fresh connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /**
   * Fast shutdown (SIGINT: open sessions are cut, the WAL is flushed), SIGKILL after `graceMs`; resolves once
   * it has exited. It is not started again.
   */
  stop(graceMs?: number): Promise<void>;
  /**
   * SIGKILL to the server and every process it started, at once (its process group), as the loss of its
   * machine would end it: nothing flushed, nothing said to clients or to the replica. Resolves once it exited.
   */
  kill(): Promise<void>;
  /** Its last `count` log lines, for error reports. */
  tail(count?: number): string;
}

/** The streaming replica of a {@link ReplicatedPostgres}: a hot standby until promoted. */
export interface StandbyServer extends PostgresServer {
  /**
   * Promotes it to a primary (`pg_ctl promote`): it replays the WAL it received, ends recovery and accepts
   * writes. Resolves once `pg_is_in_recovery()` is false. Commits on it are then local: nothing replicates it.
   */
  promote(timeoutMs?: number): Promise<void>;
}

/** A primary and its synchronous streaming replica, each in a temporary folder of its own. */
export interface ReplicatedPostgres {
  primary: PostgresServer;
  replica: StandbyServer;
  /**
   * The replica's streaming connection to the primary, through a relay: `cut()` it and the primary's
   * commits wait (synchronous commit) until `restore()`; the replica reconnects within half a second.
   */
  replicationLink: TcpRelay;
  /** The folder of the binaries used, e.g. `/usr/lib/postgresql/15/bin`. */
  binDir: string;
  /** Stops both servers (killing what does not stop in time), closes the link and deletes both folders. */
  dispose(): Promise<void>;
}

export interface ReplicatedPostgresOptions {
  /** Folder of initdb, postgres, pg_basebackup and pg_ctl; the newest `/usr/lib/postgresql/<version>/bin` when omitted. */
  binDir?: string;
  /** How long each step (initdb, a server's start, the base backup, the replica becoming synchronous) may take, in ms. */
  timeoutMs?: number;
  /** Each line a server or tool prints, with its name. */
  onLine?: (name: string, line: string) => void;
}

/**
 * Starts a primary and a streaming replica from the Debian PostgreSQL binaries on free loopback ports, each
 * in a temporary folder, as the OS user `postgres` when this process is root (PostgreSQL refuses to run as
 * root). Trust authentication on 127.0.0.1 only, no Unix socket. The primary runs with `wal_level=replica`,
 * `synchronous_commit=on` and `synchronous_standby_names` naming the replica; the replica is made with
 * `pg_basebackup -R` over the replication slot `msx_replica`, through {@link
 * ReplicatedPostgres.replicationLink}. Resolves once the replica streams and the primary counts it as
 * synchronous (`pg_stat_replication.sync_state = 'sync'`). When any step fails, what was started is stopped
 * and the folders deleted before it rejects.
 */
export async function startReplicatedPostgres(
  opts: ReplicatedPostgresOptions = {},
): Promise<ReplicatedPostgres> {
  const binDir = opts.binDir ?? findDebianBinDir();
  for (const bin of BINARIES)
    if (!existsSync(join(binDir, bin)))
      throw new Error(
        `${join(binDir, bin)} is missing: install the Debian package postgresql (apt-get install postgresql)`,
      );
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const owner = postgresOwner();
  const root = mkdtempSync(join(tmpdir(), 'msx-pg-replicated-'));
  const primaryDir = join(root, 'primary');
  const replicaDir = join(root, 'replica');
  const started: PostgresServer[] = [];
  let link: TcpRelay | undefined;
  const cleanUp = async () => {
    await Promise.all(started.map((s) => s.stop().catch(() => s.kill())));
    await link?.close();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    mkdirSync(primaryDir, { mode: 0o700 });
    if (owner) for (const dir of [root, primaryDir]) chownSync(dir, owner.uid, owner.gid);
    chmodSync(root, 0o700);
    const tool = (name: (typeof BINARIES)[number], args: string[]) =>
      runTool(join(binDir, name), args, { owner, timeoutMs, onLine: opts.onLine });

    await tool('initdb', [
      '-D',
      primaryDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--no-locale',
      '--no-sync',
    ]);
    // Trust on loopback TCP only, for sessions and for replication; there is no Unix socket.
    writeHba(primaryDir, owner);
    const primaryPort = await freePort();
    const primary = await startServer({
      name: 'primary',
      binDir,
      dataDir: primaryDir,
      port: primaryPort,
      owner,
      timeoutMs,
      onLine: opts.onLine,
      settings: {
        synchronous_commit: 'on',
        synchronous_standby_names: REPLICA_NAME,
      },
    });
    started.push(primary);

    link = await startTcpRelay(primaryPort);
    await tool('pg_basebackup', [
      '-d',
      `host=127.0.0.1 port=${link.port} user=postgres application_name=${REPLICA_NAME}`,
      '-D',
      replicaDir,
      '--write-recovery-conf',
      '--wal-method=stream',
      `--slot=${REPLICA_NAME}`,
      '--create-slot',
      '--checkpoint=fast',
      '--no-sync',
    ]);
    const replica = await startServer({
      name: 'replica',
      binDir,
      dataDir: replicaDir,
      port: await freePort(),
      owner,
      timeoutMs,
      onLine: opts.onLine,
      settings: {
        cluster_name: REPLICA_NAME,
        hot_standby: 'on',
        // Reconnects soon after the link is restored (5 s by default).
        wal_retrieve_retry_interval: '500ms',
      },
    });
    started.push(replica);
    await waitUntilSynchronous(primary, timeoutMs);

    const standby: StandbyServer = {
      ...replica,
      get pid() {
        return replica.pid;
      },
      promote: async (promoteTimeoutMs = timeoutMs) => {
        await runTool(
          join(binDir, 'pg_ctl'),
          ['promote', '-D', replicaDir, '-w', '-t', String(Math.ceil(promoteTimeoutMs / 1000))],
          {
            owner,
            timeoutMs: promoteTimeoutMs,
            onLine: opts.onLine,
          },
        );
        await waitFor(
          async () =>
            (await replica.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0].r ? undefined : true,
          'the promoted replica to accept writes',
          promoteTimeoutMs,
        );
      },
    };
    return {
      primary,
      replica: standby,
      replicationLink: link,
      binDir,
      dispose: cleanUp,
    };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/** The newest `/usr/lib/postgresql/<version>/bin` holding every binary needed. */
function findDebianBinDir(): string {
  const versions = existsSync(DEBIAN_POSTGRES_DIR)
    ? readdirSync(DEBIAN_POSTGRES_DIR)
        .filter((v) => /^[0-9]+(\.[0-9]+)?$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error(
      `no PostgreSQL in ${DEBIAN_POSTGRES_DIR}/<version>/bin: install the Debian package postgresql (apt-get install postgresql)`,
    );
  for (const v of versions) {
    const dir = join(DEBIAN_POSTGRES_DIR, v, 'bin');
    if (BINARIES.every((b) => existsSync(join(dir, b)))) return dir;
  }
  const dir = join(DEBIAN_POSTGRES_DIR, versions[0], 'bin');
  const missing = BINARIES.find((b) => !existsSync(join(dir, b)))!;
  throw new Error(`${join(dir, missing)} is missing: install the Debian package postgresql-${versions[0]}`);
}

/** Whom the servers run as: the `postgres` user when this process is root, else this process's own user. */
interface Owner {
  uid: number;
  gid: number;
}

function postgresOwner(): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (!onPath('setpriv'))
    throw new Error(
      'running as root, and setpriv (util-linux) is missing to run PostgreSQL as the postgres user',
    );
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
    };
  } catch {
    throw new Error(
      'running as root, and there is no "postgres" user to run PostgreSQL as (useradd --system postgres)',
    );
  }
}

/**
 * The command line that runs `command` as the owner: `setpriv` execs it in the same process (unlike `su` or
 * `runuser`, which stay as its parent), so the pid is the server's and a signal reaches it directly.
 */
function asOwner(
  owner: Owner | undefined,
  command: string,
  args: string[],
): { command: string; args: string[] } {
  if (!owner) return { command, args };
  return {
    command: 'setpriv',
    args: [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--init-groups', '--', command, ...args],
  };
}

/** Runs a PostgreSQL tool to its end; rejects, quoting its output, when it fails or outlasts `timeoutMs`. */
async function runTool(
  path: string,
  args: string[],
  o: { owner: Owner | undefined; timeoutMs: number; onLine?: (name: string, line: string) => void },
): Promise<void> {
  const name = path.split('/').pop()!;
  const proc = startChild({
    name,
    ...asOwner(o.owner, path, args),
    // Messages in English, whatever this machine's locale.
    env: { LC_ALL: 'C', LANG: 'C' },
    // Its own process group: a tool killed on timeout takes whatever it started with it.
    ownProcessGroup: true,
    onLine: (line) => o.onLine?.(name, line),
    keepLines: 30,
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), o.timeoutMs)),
  );
  const how = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  if (how === 'timeout') {
    await proc.kill();
    throw new Error(`${name} did not finish in ${o.timeoutMs} ms; last lines:\n${proc.tail()}`);
  }
  if (how !== '0') throw new Error(`${name} ${args.join(' ')} failed (${how}):\n${proc.tail()}`);
}

function writeHba(dataDir: string, owner: Owner | undefined): void {
  const file = join(dataDir, 'pg_hba.conf');
  writeFileSync(file, 'host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n', {
    mode: 0o600,
  });
  if (owner) chownSync(file, owner.uid, owner.gid);
}

interface ServerSpec {
  name: string;
  binDir: string;
  dataDir: string;
  port: number;
  owner: Owner | undefined;
  timeoutMs: number;
  onLine?: (name: string, line: string) => void;
  /** Settings of this server beyond those both share. */
  settings: Record<string, string>;
}

/** Starts `postgres` on a data folder and resolves once it serves. */
async function startServer(spec: ServerSpec): Promise<PostgresServer> {
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(spec.port),
    unix_socket_directories: '',
    wal_level: 'replica',
    max_wal_senders: '4',
    max_replication_slots: '4',
    shared_buffers: '32MB',
    max_connections: '50',
    ...spec.settings,
  };
  const args = ['-D', spec.dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const proc: ChildHandle = startChild({
    name: spec.name,
    ...asOwner(spec.owner, join(spec.binDir, 'postgres'), args),
    env: { LC_ALL: 'C', LANG: 'C' },
    // Its own process group: kill() ends the postmaster and its backends at once.
    ownProcessGroup: true,
    onLine: (line) => spec.onLine?.(spec.name, line),
    keepLines: 50,
  });
  // Should this process end without dispose(), the server must not outlive it.
  const onExit = () => {
    try {
      if (proc.pid !== undefined) process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', onExit);
  void proc.exited.then(() => process.removeListener('exit', onExit));
  try {
    await proc.waitForLine(READY, spec.timeoutMs);
  } catch (err) {
    await proc.kill();
    removeSharedMemory(spec.dataDir);
    throw new Error(`PostgreSQL ${spec.name} did not start: ${(err as Error).message}`, { cause: err });
  }
  const url = `postgres://postgres@127.0.0.1:${spec.port}/postgres`;
  const kill = async () => {
    await proc.kill();
    removeSharedMemory(spec.dataDir);
  };
  return {
    name: spec.name,
    url,
    port: spec.port,
    dataDir: spec.dataDir,
    get pid() {
      return proc.running() ? proc.pid : undefined;
    },
    query: queryOn(url),
    stop: async (graceMs = STOP_GRACE_MS) => {
      if (!proc.running()) return;
      proc.stopNow('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
      const how = await Promise.race([proc.exited, late]);
      clearTimeout(timer);
      if (how === 'late') await kill();
    },
    kill,
    tail: (count) => proc.tail(count),
  };
}

/**
 * A killed server leaves its small System V shared memory segment behind (a clean stop removes it): its id
 * is on the seventh line of `postmaster.pid`. Removing it is only housekeeping, so failures are ignored.
 */
function removeSharedMemory(dataDir: string): void {
  try {
    const id = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[6]?.trim().split(/\s+/)[1];
    if (id && /^[0-9]+$/.test(id)) execFileSync('ipcrm', ['-m', id], { stdio: 'ignore' });
  } catch {
    // Already gone, or no ipcrm: the segment is a few dozen bytes.
  }
}

/** Waits until the primary streams to the replica and counts it as its synchronous standby. */
async function waitUntilSynchronous(primary: PostgresServer, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const [r] = await primary.query<{ state: string; sync_state: string }>(
        'SELECT state, sync_state FROM pg_stat_replication WHERE application_name = $1',
        [REPLICA_NAME],
      );
      return r?.state === 'streaming' && r.sync_state === 'sync' ? true : undefined;
    },
    `the replica ${REPLICA_NAME} to stream synchronously`,
    timeoutMs,
  );
}
