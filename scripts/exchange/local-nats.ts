import { mkdirSync } from 'node:fs';
import { NATS_DIR } from './local-state.js';
import { reachable, waitUntilReachable } from './reachable.js';
import { exitOf, onPath, spawnServer, stopProcess, type OwnedServer } from './server-process.js';

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

export interface LocalNatsOptions {
  /** Loopback port to listen on. */
  port: number;
  /** JetStream storage folder; `.msx/nats` for `npm start`. */
  storeDir?: string;
  /**
   * A generated configuration (accounts, TLS) to run on; it names its own port and storage. Without it the
   * server is open: no authentication, no isolation between parties.
   */
  configFile?: string;
  onLine?: (line: string) => void;
}

/**
 * Starts nats-server (NATS_SERVER_BIN or the one on PATH) with JetStream on 127.0.0.1, storing in
 * `.msx/nats`, in a process group of its own. Resolves once it accepts connections.
 * @throws NatsServerMissingError when the binary is not found
 */
export async function startLocalNats(opts: LocalNatsOptions): Promise<OwnedServer> {
  const bin = onPath(process.env.NATS_SERVER_BIN ?? 'nats-server');
  if (!bin) throw new NatsServerMissingError();
  const url = `${opts.configFile ? 'tls' : 'nats'}://127.0.0.1:${opts.port}`;
  if (await reachable(url, 500)) throw new Error(`port ${opts.port} is already taken`);
  const storeDir = opts.storeDir ?? NATS_DIR;
  mkdirSync(storeDir, { recursive: true });
  const args = opts.configFile
    ? ['-c', opts.configFile]
    : ['-a', '127.0.0.1', '-p', String(opts.port), '-js', '-sd', storeDir];
  const child = spawnServer(bin, args, { onLine: opts.onLine });
  const exited = exitOf(child);
  const up = await Promise.race([waitUntilReachable(url, 15_000), exited.then(() => false)]);
  if (!up) {
    await stopProcess(child, 1_000);
    throw new Error(`nats-server did not start on port ${opts.port} (exit ${await exited})`);
  }
  return {
    name: 'nats-server',
    url,
    pid: child.pid,
    stop: (graceMs = 10_000) => stopProcess(child, graceMs),
    stopNow: () => void child.kill('SIGTERM'),
  };
}
