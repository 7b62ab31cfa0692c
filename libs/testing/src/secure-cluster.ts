import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus, prepareSecureExchange, type Bus, type SecureExchangeFiles } from '#messaging';
import { freePort, startNatsServer, type OwnedServer } from '#process-kit';
import { waitFor } from './wait-for.js';

/** One server of a {@link SecureCluster}: its name in the cluster, its process, and its route port. */
export interface SecureClusterServer {
  name: string;
  server: OwnedServer;
  routePort: number;
  /** Its port for the posts' leaf nodes, when the cluster takes them. */
  leafPort?: number;
}

/** A private NATS cluster on the generated isolated configuration: accounts, TLS, routes over mutual TLS. */
export interface SecureCluster extends SecureExchangeFiles {
  servers: SecureClusterServer[];
  /** Every server's client URL, comma separated, as MSX_NATS_URL takes them. */
  url: string;
  /** Connects as a principal with its own credentials, to every server of the cluster. */
  connectAs(principal: string): Promise<Bus>;
  /** The server by its name in the cluster (`msx-1`…). */
  serverNamed(name: string): SecureClusterServer;
  /** Stops every server and deletes the files and storage. */
  dispose(): Promise<void>;
}

/**
 * Starts `size` nats-servers (3 unless told) as one cluster on the configuration `npm run nats:config
 * --cluster-server …` generates for `nodes` (default: every node of the shipped directory): each on its own
 * loopback client and route port and storage, with mutual TLS to clients and between servers. Resolves once
 * the cluster's JetStream answers the core account (a meta leader is elected).
 */
export async function startSecureCluster(
  opts: {
    nodes?: readonly string[];
    size?: number;
    /** Posts whose leaf nodes every server takes (each on a leaf port of its own); their leaves are not started. */
    leafPosts?: readonly string[];
  } = {},
): Promise<SecureCluster> {
  const size = opts.size ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'msx-secure-cluster-'));
  const ports = new Set<number>();
  const port = async () => {
    let p = await freePort();
    while (ports.has(p)) p = await freePort();
    ports.add(p);
    return p;
  };
  const plan: {
    name: string;
    host: string;
    routePort: number;
    clientPort: number;
    storeDir: string;
    leafPort?: number;
  }[] = [];
  for (let i = 1; i <= size; i++)
    plan.push({
      name: `msx-${i}`,
      host: '127.0.0.1',
      routePort: await port(),
      clientPort: await port(),
      storeDir: join(dir, `js-${i}`),
      ...(opts.leafPosts ? { leafPort: await port() } : {}),
    });
  const leaf = opts.leafPosts && {
    port: plan[0].leafPort!,
    posts: await Promise.all(
      opts.leafPosts.map(async (post) => ({
        post,
        localPort: await port(),
        storeDir: join(dir, `leaf-${post}`),
      })),
    ),
  };
  const nodes = opts.nodes ?? (await import('#directory')).loadDirectory('deploy/directory.yaml').nodeIds();
  const started: SecureClusterServer[] = [];
  try {
    const files = await prepareSecureExchange({
      dir,
      nodes,
      port: plan[0].clientPort,
      storeDir: plan[0].storeDir,
      cluster: { name: 'msx-test', servers: plan },
      ...(leaf ? { leaf } : {}),
    });
    // Started together: each waits for its routes, and JetStream for a quorum of them. Each is kept as it
    // starts, so that when one cannot, the others are stopped too.
    const starting = await Promise.allSettled(
      files.broker.servers.map(async (s, i) => {
        const server = await startNatsServer({
          port: s.clientPort,
          storeDir: s.storeDir,
          configFile: s.configFile,
        });
        started.push({ name: s.name, routePort: plan[i].routePort, leafPort: plan[i].leafPort, server });
      }),
    );
    const failed = starting.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    started.sort((a, b) => a.name.localeCompare(b.name));
    const connectAs = (principal: string) =>
      connectBus({
        servers: files.natsUrl,
        name: `test-${principal}`,
        credentials: files.credentialsOf(principal),
        connectTimeoutMs: 10_000,
      });
    // A core principal's connection asks JetStream for its account at once: it answers once the cluster has
    // elected its meta leader.
    const admin = await waitFor(
      () => connectAs('msx-admin').catch(() => undefined),
      'the cluster’s JetStream to answer',
      30_000,
    );
    await admin.close();
    return {
      ...files,
      servers: started,
      url: files.natsUrl,
      connectAs,
      serverNamed: (name) => {
        const s = started.find((x) => x.name === name);
        if (!s) throw new Error(`no server ${name} in this cluster`);
        return s;
      },
      dispose: async () => {
        await Promise.all(started.map((s) => s.server.stop()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.server.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
