import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort, startNatsServer, type OwnedServer } from '#process-kit';
import { waitFor } from './wait-for.js';

/** A private NATS cluster with JetStream: each server on its own client and route port and storage. */
export interface TestNatsCluster {
  servers: OwnedServer[];
  /** Every server's client URL, comma separated, as MSX_NATS_URL takes them. */
  url: string;
  /** Stops every server and deletes their storage. */
  dispose(): Promise<void>;
}

/**
 * Starts `size` nats-servers (3 unless told) routed to each other as one cluster, and resolves once its
 * JetStream answers (a meta leader is elected). Open: no accounts or TLS, for tests of replication only.
 */
export async function startNatsCluster(size = 3): Promise<TestNatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'msx-nats-cluster-'));
  const ports: number[] = [];
  const routePorts: number[] = [];
  for (let i = 0; i < size * 2; i++) {
    let port = await freePort();
    while (ports.includes(port) || routePorts.includes(port)) port = await freePort();
    (i < size ? ports : routePorts).push(port);
  }
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
  const servers: OwnedServer[] = [];
  try {
    // Started together: each waits for its routes, and JetStream for a quorum of them.
    servers.push(
      ...(await Promise.all(
        ports.map((port, i) => {
          const storeDir = join(dir, `s${i + 1}`);
          mkdirSync(storeDir, { recursive: true });
          const configFile = join(dir, `s${i + 1}.conf`);
          writeFileSync(
            configFile,
            [
              `server_name: msx-test-${i + 1}`,
              `listen: 127.0.0.1:${port}`,
              `jetstream { store_dir: "${storeDir}" }`,
              `cluster { name: msx-test, listen: 127.0.0.1:${routePorts[i]}, routes: [${routes}] }`,
              '',
            ].join('\n'),
          );
          return startNatsServer({ port, configFile, storeDir, scheme: 'nats' });
        }),
      )),
    );
    const url = servers.map((s) => s.url).join(',');
    const nc = await connect({ servers: url.split(','), name: 'cluster-test-ready' });
    try {
      // Not checked at creation: the first look would fail while the cluster elects its meta leader.
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      await waitFor(
        () =>
          jsm.getAccountInfo().then(
            () => true,
            () => undefined,
          ),
        'the cluster’s JetStream to answer',
        30_000,
      );
    } finally {
      await nc.close();
    }
    return {
      servers,
      url,
      dispose: async () => {
        await Promise.all(servers.map((s) => s.stop()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
