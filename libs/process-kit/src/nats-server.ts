import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onPath, startChild, type ChildHandle } from './child-process.js';
import { freePort } from './free-port.js';
import { reachable, waitUntilReachable } from './reachable.js';

/** How to get nats-server, printed when it is missing. */
export const NATS_INSTALL_HINT = [
  'nats-server is not on PATH (or NATS_SERVER_BIN). Install it, then run npm start again:',
  '  - Debian/Ubuntu: sudo apt-get install nats-server',
  '  - any system: the official nats-server release binary published by the NATS project',
  '    (unpack it and put nats-server on PATH, or set NATS_SERVER_BIN=/path/to/nats-server)',
  'Or point MSX_NATS_URL at a running NATS server with JetStream.',
].join('\n');

/** nats-server could not be found: the message says how to install it. */
export class NatsServerMissingError extends Error {
  constructor() {
    super(NATS_INSTALL_HINT);
    this.name = 'NatsServerMissingError';
  }
}

/** A server this process started and must stop: nats-server or the embedded PostgreSQL. */
export interface OwnedServer {
  name: string;
  url: string;
  port: number;
  /** Undefined while it is stopped. */
  pid: number | undefined;
  /** Starts it again after `stop()`, on the same port and storage. */
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. Its storage is kept. */
  stop(graceMs?: number): Promise<void>;
  /** Sends SIGTERM without waiting: for `process.on('exit')`, where nothing asynchronous runs. */
  stopNow(): void;
  /** Stops it and deletes its storage when the launcher made that (a temporary folder), not when given. */
  dispose(): Promise<void>;
}

export interface NatsServerOptions {
  /** Loopback port to listen on; a free one when omitted. Refused when something answers there already. */
  port?: number;
  /** JetStream storage folder (`.msx/nats` for `npm start`); a temporary one, deleted by `dispose()`, when omitted. */
  storeDir?: string;
  /**
   * A generated configuration (accounts, TLS) to run on; it names its own port and storage, which must be
   * `port` and `storeDir`. Without it the server is open: no authentication, no isolation between parties.
   */
  configFile?: string;
  /** See {@link ChildOptions.ownProcessGroup}; `npm start` runs its servers in their own group. */
  ownProcessGroup?: boolean;
  /** Each line the server prints. */
  onLine?: (line: string) => void;
  /** How long to wait for it to accept connections, in milliseconds. */
  timeoutMs?: number;
}

/**
 * Starts nats-server (NATS_SERVER_BIN or the one on PATH) with JetStream on 127.0.0.1. Resolves once it
 * accepts connections.
 * @throws NatsServerMissingError when the binary is not found
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<OwnedServer> {
  const bin = onPath(process.env.NATS_SERVER_BIN ?? 'nats-server');
  if (!bin) throw new NatsServerMissingError();
  const port = opts.port ?? (await freePort());
  const url = `${opts.configFile ? 'tls' : 'nats'}://127.0.0.1:${port}`;
  if (await reachable(url, 500)) throw new Error(`port ${port} is already taken`);
  // A configuration names its own storage; without one, the server stores where told or in a folder of its own.
  const ownStore = opts.storeDir === undefined && opts.configFile === undefined;
  const storeDir = opts.storeDir ?? (ownStore ? mkdtempSync(join(tmpdir(), 'msx-nats-')) : undefined);
  if (storeDir) mkdirSync(storeDir, { recursive: true });
  const args = opts.configFile
    ? ['-c', opts.configFile]
    : ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir!];
  const timeoutMs = opts.timeoutMs ?? 15_000;
  let child: ChildHandle | undefined;

  const start = async () => {
    if (child?.running()) return;
    const proc = startChild({
      name: 'nats-server',
      command: bin,
      args,
      ownProcessGroup: opts.ownProcessGroup,
      onLine: opts.onLine,
      keepLines: 20,
    });
    child = proc;
    const up = await Promise.race([waitUntilReachable(url, timeoutMs), proc.exited.then(() => false)]);
    if (!up) {
      await proc.stop(1_000);
      child = undefined;
      throw new Error(
        `nats-server did not start on port ${port} (exit ${await proc.exited}):\n${proc.tail()}`,
      );
    }
  };
  const stop = async (graceMs?: number) => {
    const proc = child;
    child = undefined;
    await proc?.stop(graceMs);
  };
  try {
    await start();
  } catch (err) {
    if (ownStore) rmSync(storeDir!, { recursive: true, force: true });
    throw err;
  }
  return {
    name: 'nats-server',
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
      if (ownStore) rmSync(storeDir!, { recursive: true, force: true });
    },
  };
}
