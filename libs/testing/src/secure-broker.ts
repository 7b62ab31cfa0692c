import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectBus,
  prepareSecureExchange,
  type Bus,
  type LeafPlan,
  type SecureExchangeFiles,
} from '#messaging';
import { freePort, startNatsServer } from '#process-kit';
import type { TestNatsServer } from './nats-server.js';

/** A private nats-server on the generated isolated configuration, for tests and the benchmark. */
export interface SecureBroker extends TestNatsServer, SecureExchangeFiles {
  /** Connects as a principal (a node or `msx-admin`, `msx-router`…) with its own credentials. */
  connectAs(principal: string): Promise<Bus>;
}

/**
 * Starts nats-server on the isolated configuration generated for `nodes` (default: every node of the shipped
 * directory), on a free loopback port with its own storage, TLS and client certificates.
 */
export async function startSecureBroker(
  opts: { nodes?: readonly string[]; mutualTls?: boolean; leaf?: LeafPlan } = {},
): Promise<SecureBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'msx-secure-nats-'));
  const port = await freePort();
  const nodes = opts.nodes ?? (await import('#directory')).loadDirectory('deploy/directory.yaml').nodeIds();
  const files = await prepareSecureExchange({
    dir,
    nodes,
    port,
    storeDir: join(dir, 'js'),
    mutualTls: opts.mutualTls,
    leaf: opts.leaf,
  });
  const server = await startNatsServer({
    port,
    storeDir: join(dir, 'js'),
    configFile: files.broker.configFile,
  });
  return {
    ...files,
    url: files.natsUrl,
    name: server.name,
    port,
    get pid() {
      return server.pid;
    },
    start: server.start,
    stop: server.stop,
    stopNow: server.stopNow,
    kill: server.kill,
    dispose: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    connectAs: (principal) =>
      connectBus({
        servers: files.natsUrl,
        name: `test-${principal}`,
        credentials: files.credentialsOf(principal),
        connectTimeoutMs: 10_000,
      }),
  };
}
