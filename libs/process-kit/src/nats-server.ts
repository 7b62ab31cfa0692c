import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onPath, startChild } from './child-process.js';
import { freePort } from './free-port.js';
import { ownServer, type OwnedServer, type ServerOptions } from './owned-server.js';
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

export interface NatsServerOptions extends ServerOptions {
  /** JetStream storage folder (`.msx/nats` for `npm start`); a temporary one, deleted by `dispose()`, when omitted. */
  storeDir?: string;
  /**
   * A generated configuration (accounts, TLS) to run on; it names its own port and storage, which must be
   * `port` and `storeDir`. Without it the server is open: no authentication, no isolation between parties.
   */
  configFile?: string;
  /** The URL's scheme: `tls` for a configuration (the generated ones require TLS) unless told otherwise. */
  scheme?: 'nats' | 'tls';
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
  const url = `${opts.scheme ?? (opts.configFile ? 'tls' : 'nats')}://127.0.0.1:${port}`;
  if (await reachable(url, 500)) throw new Error(`port ${port} is already taken`);
  // A configuration names its own storage; without one, the server stores where told or in a folder of its own.
  const ownStore = opts.storeDir === undefined && opts.configFile === undefined;
  const storeDir = opts.storeDir ?? (ownStore ? mkdtempSync(join(tmpdir(), 'msx-nats-')) : undefined);
  if (storeDir) mkdirSync(storeDir, { recursive: true });
  const args = opts.configFile
    ? ['-c', opts.configFile]
    : ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir!];
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return ownServer({
    name: 'nats-server',
    url,
    port,
    ownDir: ownStore ? storeDir : undefined,
    launch: async () => {
      const proc = startChild({
        name: 'nats-server',
        command: bin,
        args,
        ownProcessGroup: opts.ownProcessGroup,
        onLine: opts.onLine,
        keepLines: 20,
      });
      const up = await Promise.race([waitUntilReachable(url, timeoutMs), proc.exited.then(() => false)]);
      if (up) return proc;
      await proc.stop(1_000);
      throw new Error(
        `nats-server did not start on port ${port} (exit ${await proc.exited}):\n${proc.tail()}`,
      );
    },
  });
}
