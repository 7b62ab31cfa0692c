import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix, relative, resolve, sep } from 'node:path';
import { createBrokerPki } from './certificates.js';
import { leafCredentials, writeLeafNodeConfig } from './leaf-node.js';
import { brokerUsers, renderNatsServerConfig, type BrokerUser } from './nats-server-config.js';

/** Where the generated broker files of one principal are, to hand to that principal alone. */
export interface PrincipalFiles {
  principal: string;
  /** NKey seed (MSX_NATS_NKEY_SEED_FILE). */
  seedFile: string;
  /** The CA that signed the broker's certificate (MSX_NATS_CA_FILE). */
  caFile: string;
  /** Client certificate and key for mutual TLS (MSX_NATS_CERT_FILE, MSX_NATS_KEY_FILE). */
  certFile: string;
  keyFile: string;
}

/** A post's own leaf node, as {@link writeBrokerFiles} wrote it. */
export interface LeafFiles {
  post: string;
  /** The leaf's nats-server configuration (holds the post's password at the hub: mode 0600, for the post alone). */
  configFile: string;
  /** Where the post's processes connect: `nats://127.0.0.1:<localPort>`. */
  localUrl: string;
  localPort: number;
  /** Where the leaf keeps the post's outbox (its own JetStream, domain `msx-post-<post>`). */
  storeDir: string;
}

/** The hub's leaf node port, and the posts that run a leaf node of their own. */
export interface LeafPlan {
  port: number;
  /** The `host:port` posts reach the hub's leaf port at, when not `127.0.0.1:<port>` (NAT, a proxy, a relay). */
  advertise?: string;
  posts: ReadonlyArray<{
    post: string;
    /** The port the post's leaf listens on for the post's processes. */
    localPort: number;
    /**
     * Where the leaf reaches the hub's leaf port (default `nats-leaf://127.0.0.1:<port>`, or on a cluster every
     * server's `nats-leaf://<host>:<leaf port>`; a relay in tests).
     */
    hubUrl?: string;
    /**
     * Where the leaf keeps the post's outbox on the post's machine (default `leaf/<post>-jetstream` beside
     * the configuration).
     */
    storeDir?: string;
  }>;
}

/**
 * The servers of a NATS cluster (NATS's own clustering: routes, JetStream replicas placed across servers).
 * Each gets a configuration of its own with the same accounts, users and client TLS.
 */
export interface ClusterPlan {
  /** The cluster's name (default `msx`). */
  name?: string;
  servers: ReadonlyArray<{
    /** Unique within the cluster: `nats-0`. */
    name: string;
    /** Where the other servers reach its route port (a DNS name in compose or Kubernetes, 127.0.0.1 in tests). */
    host: string;
    routePort: number;
    /** Its client port (default: the broker's `port`; servers that share a machine need their own). */
    clientPort?: number;
    /** Its JetStream storage (default: the broker's `storeDir`; servers that share a machine need their own). */
    storeDir?: string;
    /** Its leaf node port, with posts (default: the plan's leaf `port`; servers that share a machine need their own). */
    leafPort?: number;
  }>;
}

/** One server of a cluster, as {@link writeBrokerFiles} wrote it. */
export interface ClusterServerFiles {
  name: string;
  configFile: string;
  clientPort: number;
  storeDir: string;
}

/** What {@link writeBrokerFiles} wrote. */
export interface BrokerFiles {
  /** The server's configuration; in a cluster, the first server's. */
  configFile: string;
  /** A cluster's servers, in the order planned; empty for a server on its own. */
  servers: ClusterServerFiles[];
  users: BrokerUser[];
  principals: Map<string, PrincipalFiles>;
  /** The leaf nodes of posts, by post. */
  leaves: Map<string, LeafFiles>;
}

export interface BrokerFilesOptions {
  /** Folder to write into; made if missing. */
  dir: string;
  nodes: readonly string[];
  /** Address the broker listens on (default 127.0.0.1: nothing beyond this machine unless told). */
  host?: string;
  port: number;
  storeDir: string;
  /** Require a client certificate from every connection (mutual TLS). */
  mutualTls?: boolean;
  /** Names and addresses the server certificate is valid for (default: localhost, 127.0.0.1 and `host`). */
  serverNames?: string[];
  syncEveryWrite?: boolean;
  /** Posts abroad that run a leaf node of their own: the hub gets a leaf port, each post a leaf configuration. */
  leaf?: LeafPlan;
  /**
   * The folder the servers read these files at, when not `dir` (a container mounts it elsewhere): the server
   * configurations name their TLS files under it. Default: `dir`.
   */
  serverDir?: string;
  /**
   * A cluster of servers instead of one: `cluster/<name>.conf` per server (no `nats-server.conf`, which would
   * start a server of its own beside the cluster), and the route TLS under `tls/routes/`.
   */
  cluster?: ClusterPlan;
}

function secret(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * Generates the isolated broker (DESIGN §4) into `dir`: `nats-server.conf` (public keys only), and per
 * principal an NKey seed under `seeds/` and a client certificate under `tls/clients/`, all mode 0600, with
 * the private CA and the server's certificate under `tls/`.
 */
export async function writeBrokerFiles(o: BrokerFilesOptions): Promise<BrokerFiles> {
  const dir = resolve(o.dir);
  const host = o.host ?? '127.0.0.1';
  const users = brokerUsers(o.nodes);
  checkCluster(o.cluster?.servers);
  const clusterServers = o.cluster?.servers ?? [];
  // On a cluster every server takes the posts' leaf nodes: a post's leaf knows them all, links to one and moves
  // to another when that one fails. Each server advertises its own cluster address to the leaves.
  const leafPortOf = (c: ClusterPlan['servers'][number], leafPort: number) => c.leafPort ?? leafPort;
  const clusterLeafUrls = o.leaf
    ? clusterServers.map((c) => `nats-leaf://${c.host}:${leafPortOf(c, o.leaf!.port)}`)
    : [];
  if (o.leaf && o.cluster && o.leaf.advertise)
    throw new Error(
      'a cluster advertises each server to the leaf nodes at its own address: give posts one address with their hubUrl, not advertise',
    );
  if (o.serverDir !== undefined && !posix.isAbsolute(o.serverDir))
    throw new Error(`the servers' folder must be an absolute path, got "${o.serverDir}"`);
  // Clients reach a cluster at any of its servers: the certificate names them all.
  const serverNames = [
    ...new Set([
      ...(o.serverNames ?? ['localhost', '127.0.0.1', ...(host === '0.0.0.0' ? [] : [host])]),
      ...clusterServers.map((c) => c.host),
    ]),
  ];
  const pki = await createBrokerPki({
    principals: users.map((u) => u.principal),
    serverNames,
    routeServers: clusterServers.map((c) => ({ name: c.name, hosts: [c.host] })),
  });
  for (const sub of ['seeds', 'tls', join('tls', 'clients')])
    mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  const tls = join(dir, 'tls');
  /** A file of `dir` by the path the servers read it at. */
  const seen = (file: string) =>
    o.serverDir === undefined ? file : posix.join(o.serverDir, ...relative(dir, file).split(sep));
  writeFileSync(join(tls, 'ca.pem'), pki.ca.certPem);
  secret(join(tls, 'ca-key.pem'), pki.ca.keyPem);
  writeFileSync(join(tls, 'server.pem'), pki.server.certPem);
  secret(join(tls, 'server-key.pem'), pki.server.keyPem);
  const principals = new Map<string, PrincipalFiles>();
  for (const u of users) {
    const files: PrincipalFiles = {
      principal: u.principal,
      seedFile: join(dir, 'seeds', `${u.principal}.nk`),
      caFile: join(tls, 'ca.pem'),
      certFile: join(tls, 'clients', `${u.principal}.pem`),
      keyFile: join(tls, 'clients', `${u.principal}-key.pem`),
    };
    secret(files.seedFile, `${u.seed}\n`);
    const client = pki.clients.get(u.principal)!;
    writeFileSync(files.certFile, client.certPem);
    secret(files.keyFile, client.keyPem);
    principals.set(u.principal, files);
  }
  const leaves = new Map<string, LeafFiles>();
  const leafPosts: Array<{ post: string; passwordHash: string }> = [];
  if (o.leaf) {
    mkdirSync(join(dir, 'leaf'), { recursive: true, mode: 0o700 });
    for (const p of o.leaf.posts) {
      const user = users.find((u) => u.principal === p.post);
      const files = principals.get(p.post);
      if (!user || !files) throw new Error(`leaf node of ${p.post}: not a party of this broker`);
      const credentials = await leafCredentials(p.post);
      leafPosts.push({ post: p.post, passwordHash: credentials.passwordHash });
      const storeDir = p.storeDir ?? join(dir, 'leaf', `${p.post}-jetstream`);
      const leafFile = writeLeafNodeConfig(join(dir, 'leaf', `${p.post}.conf`), {
        post: p.post,
        localPort: p.localPort,
        localNkey: user.publicKey,
        hubLeafUrl: p.hubUrl ?? (o.cluster ? clusterLeafUrls : `nats-leaf://127.0.0.1:${o.leaf.port}`),
        user: credentials.user,
        password: credentials.password,
        tls: { caFile: files.caFile, certFile: files.certFile, keyFile: files.keyFile },
        // A post's accepted reports are kept as the hub keeps its streams: synced as the hub's are (then the
        // post runs nats-server 2.10 or newer too).
        jetstream: { storeDir, syncEveryWrite: o.syncEveryWrite },
      });
      leaves.set(p.post, {
        post: p.post,
        configFile: leafFile,
        localPort: p.localPort,
        localUrl: `nats://127.0.0.1:${p.localPort}`,
        storeDir,
      });
    }
  }
  const serverConfig = {
    host,
    port: o.port,
    storeDir: o.storeDir,
    users,
    tls: {
      certFile: seen(join(tls, 'server.pem')),
      keyFile: seen(join(tls, 'server-key.pem')),
      caFile: seen(join(tls, 'ca.pem')),
      verifyClients: o.mutualTls ?? false,
    },
    syncEveryWrite: o.syncEveryWrite,
    ...(o.leaf
      ? {
          leafnodes: {
            port: o.leaf.port,
            advertise: o.leaf.advertise,
            posts: leafPosts,
            tls: {
              certFile: seen(join(tls, 'server.pem')),
              keyFile: seen(join(tls, 'server-key.pem')),
              caFile: seen(join(tls, 'ca.pem')),
              verifyClients: true,
            },
          },
        }
      : {}),
  };
  // Regenerated in the other mode, the folder must not keep the first one's servers: a stale configuration
  // started by mistake would hold a JetStream of its own beside the cluster, or a cluster beside the server.
  if (!o.cluster) {
    rmSync(join(dir, 'cluster'), { recursive: true, force: true });
    rmSync(join(tls, 'routes'), { recursive: true, force: true });
    const configFile = join(dir, 'nats-server.conf');
    writeFileSync(configFile, renderNatsServerConfig(serverConfig));
    return { configFile, servers: [], users, principals, leaves };
  }
  rmSync(join(dir, 'nats-server.conf'), { force: true });
  rmSync(join(dir, 'cluster'), { recursive: true, force: true });
  const routesDir = join(tls, 'routes');
  mkdirSync(routesDir, { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'cluster'), { recursive: true, mode: 0o700 });
  const routes = pki.routes!;
  writeFileSync(join(routesDir, 'ca.pem'), routes.ca.certPem);
  secret(join(routesDir, 'ca-key.pem'), routes.ca.keyPem);
  const servers = clusterServers.map((c): ClusterServerFiles => {
    const pair = routes.servers.get(c.name)!;
    writeFileSync(join(routesDir, `${c.name}.pem`), pair.certPem);
    secret(join(routesDir, `${c.name}-key.pem`), pair.keyPem);
    const files = {
      name: c.name,
      configFile: join(dir, 'cluster', `${c.name}.conf`),
      clientPort: c.clientPort ?? o.port,
      storeDir: c.storeDir ?? o.storeDir,
    };
    writeFileSync(
      files.configFile,
      renderNatsServerConfig({
        ...serverConfig,
        port: files.clientPort,
        storeDir: files.storeDir,
        serverName: c.name,
        ...(serverConfig.leafnodes
          ? {
              leafnodes: {
                ...serverConfig.leafnodes,
                port: leafPortOf(c, serverConfig.leafnodes.port),
                advertise: `${c.host}:${leafPortOf(c, serverConfig.leafnodes.port)}`,
              },
            }
          : {}),
        cluster: {
          name: o.cluster!.name ?? 'msx',
          port: c.routePort,
          routes: clusterServers
            .filter((other) => other !== c)
            .map((other) => `nats-route://${other.host}:${other.routePort}`),
          tls: {
            certFile: seen(join(routesDir, `${c.name}.pem`)),
            keyFile: seen(join(routesDir, `${c.name}-key.pem`)),
            caFile: seen(join(routesDir, 'ca.pem')),
            verifyClients: true,
          },
        },
      }),
    );
    return files;
  });
  return { configFile: servers[0].configFile, servers, users, principals, leaves };
}

/**
 * A cluster of at least three servers (JetStream's quorum survives one loss), each named once, none by the
 * route CA's file name, and each reached at an address of its own.
 */
function checkCluster(servers: ClusterPlan['servers'] | undefined): void {
  if (servers === undefined) return;
  if (servers.length < 3)
    throw new Error(
      `a cluster needs at least 3 servers to keep a quorum when one fails, got ${servers.length}`,
    );
  const names = servers.map((s) => s.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length) throw new Error(`cluster server names must be unique: ${[...new Set(twice)].join(', ')}`);
  for (const s of servers) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s.name))
      throw new Error(`cluster server name "${s.name}" may hold letters, digits, '.', '_' and '-' only`);
    // Its route certificate is tls/routes/<name>.pem, and the route CA's files are tls/routes/ca*.pem.
    if (/^ca(-key)?$/i.test(s.name))
      throw new Error(`cluster server name "${s.name}" is taken by the route CA's files`);
  }
  const routes = servers.map((s) => `${s.host}:${s.routePort}`);
  const reused = routes.filter((r, i) => routes.indexOf(r) !== i);
  if (reused.length)
    throw new Error(`cluster route addresses must be unique: ${[...new Set(reused)].join(', ')}`);
}

/** The environment that points a service or node at the isolated broker with its own credentials. */
export function brokerEnvOf(files: PrincipalFiles, natsUrl: string): Record<string, string> {
  return {
    MSX_NATS_URL: natsUrl,
    MSX_NATS_NKEY_SEED_FILE: files.seedFile,
    MSX_NATS_CA_FILE: files.caFile,
    MSX_NATS_CERT_FILE: files.certFile,
    MSX_NATS_KEY_FILE: files.keyFile,
  };
}

/**
 * The environment that points a post's processes at its own leaf node: the post's NKey, no TLS (the leaf
 * listens on the post's own machine; the link to the hub has its own TLS and the post's certificate), and the
 * outbox kept on the leaf.
 */
export function leafEnvOf(files: PrincipalFiles, leaf: LeafFiles): Record<string, string> {
  return { MSX_NATS_URL: leaf.localUrl, MSX_NATS_NKEY_SEED_FILE: files.seedFile, MSX_LEAF_OUTBOX: 'on' };
}
