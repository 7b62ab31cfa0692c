import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTER_NODE, SERVICE_PRINCIPALS, type CoreService } from '#contracts';
import type { BusCredentials } from '../connection.js';
import {
  brokerEnvOf,
  leafEnvOf,
  writeBrokerFiles,
  type BrokerFiles,
  type ClusterPlan,
  type LeafPlan,
} from './broker-files.js';

/** The router's Ed25519 delivery key: the private half for the router, the public half for everyone else. */
export interface RouterKeyFiles {
  /** PKCS#8 PEM, mode 0600 (MSX_ROUTER_SIGNING_KEY_FILE). */
  privateKeyFile: string;
  /** SPKI PEM (MSX_ROUTER_KEY_FILE). */
  publicKeyFile: string;
}

/** Makes the router's delivery key in `dir` unless it is there already; kept across starts. */
export function ensureRouterKeys(dir: string): RouterKeyFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = {
    privateKeyFile: join(dir, 'router-signing-key.pem'),
    publicKeyFile: join(dir, 'router-key.pub.pem'),
  };
  if (!existsSync(files.privateKeyFile)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    try {
      writeFileSync(files.privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
        mode: 0o600,
        flag: 'wx',
      });
      chmodSync(files.privateKeyFile, 0o600);
    } catch (err) {
      // Made by another process at the same moment: that one is the key.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  // The public half always comes from the private key that exists: a key is never replaced behind the
  // nodes' backs (they would hold every copy signed with it).
  const publicKey = createPublicKey(createPrivateKey(readFileSync(files.privateKeyFile)));
  writeFileSync(files.publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return files;
}

/**
 * Everything a local exchange needs to run on the isolated broker (DESIGN §4): the generated broker files
 * (accounts, TLS, one NKey and client certificate per principal) and the router's delivery key.
 */
export interface SecureExchangeFiles {
  broker: BrokerFiles;
  routerKeys: RouterKeyFiles;
  /** `tls://127.0.0.1:<port>`; for a cluster, every server's, comma separated (as MSX_NATS_URL takes them). */
  natsUrl: string;
  /** The environment of one principal: its broker credentials and the router key it needs. */
  envOf(principal: string): Record<string, string>;
  /** Credentials to connect as `principal` from this process. */
  credentialsOf(principal: string): BusCredentials;
}

export interface SecureExchangeOptions {
  /** Folder for the broker files (regenerated) and the router key (kept). */
  dir: string;
  nodes: readonly string[];
  port: number;
  storeDir: string;
  /** Require client certificates (default true: every principal has one). */
  mutualTls?: boolean;
  /** Posts abroad that run a leaf node of their own (their processes then connect to it). */
  leaf?: LeafPlan;
  /** A cluster of servers on this machine instead of one (each with its own client port and storage). */
  cluster?: ClusterPlan;
}

/** Writes the isolated broker's configuration and credentials, and the router key, into `dir`. */
export async function prepareSecureExchange(o: SecureExchangeOptions): Promise<SecureExchangeFiles> {
  const broker = await writeBrokerFiles({
    dir: join(o.dir, 'broker'),
    nodes: o.nodes,
    port: o.port,
    storeDir: o.storeDir,
    mutualTls: o.mutualTls ?? true,
    leaf: o.leaf,
    cluster: o.cluster,
  });
  const routerKeys = ensureRouterKeys(join(o.dir, 'keys'));
  const natsUrl = (broker.servers.length ? broker.servers.map((s) => s.clientPort) : [o.port])
    .map((port) => `tls://127.0.0.1:${port}`)
    .join(',');
  const filesOf = (principal: string) => {
    const f = broker.principals.get(principal);
    if (!f) throw new Error(`${principal} is not a principal of this broker`);
    return f;
  };
  return {
    broker,
    routerKeys,
    natsUrl,
    envOf: (principal) => ({
      ...(broker.leaves.has(principal)
        ? leafEnvOf(filesOf(principal), broker.leaves.get(principal)!)
        : brokerEnvOf(filesOf(principal), natsUrl)),
      ...(principal === ROUTER_NODE
        ? { MSX_ROUTER_SIGNING_KEY_FILE: routerKeys.privateKeyFile }
        : { MSX_ROUTER_KEY_FILE: routerKeys.publicKeyFile }),
    }),
    credentialsOf: (principal) => {
      const f = filesOf(principal);
      return {
        principal,
        nkeySeed: readFileSync(f.seedFile, 'utf8').trim(),
        tls: { caFile: f.caFile, certFile: f.certFile, keyFile: f.keyFile },
      };
    },
  };
}

/** The principal a service process runs as: the core service's, or the node's own. */
export function principalOf(app: string, nodeId?: string): string {
  if (Object.hasOwn(SERVICE_PRINCIPALS, app)) return SERVICE_PRINCIPALS[app as CoreService];
  if (!nodeId) throw new Error(`a node app (${app}) needs its node id`);
  return nodeId;
}
