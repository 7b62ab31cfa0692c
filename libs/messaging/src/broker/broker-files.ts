import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createBrokerPki } from './certificates.js';
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

/** What {@link writeBrokerFiles} wrote. */
export interface BrokerFiles {
  configFile: string;
  users: BrokerUser[];
  principals: Map<string, PrincipalFiles>;
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
  const serverNames = o.serverNames ?? [
    ...new Set(['localhost', '127.0.0.1', ...(host === '0.0.0.0' ? [] : [host])]),
  ];
  const pki = await createBrokerPki({ principals: users.map((u) => u.principal), serverNames });
  for (const sub of ['seeds', 'tls', join('tls', 'clients')])
    mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  const tls = join(dir, 'tls');
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
  const configFile = join(dir, 'nats-server.conf');
  writeFileSync(
    configFile,
    renderNatsServerConfig({
      host,
      port: o.port,
      storeDir: o.storeDir,
      users,
      tls: {
        certFile: join(tls, 'server.pem'),
        keyFile: join(tls, 'server-key.pem'),
        caFile: join(tls, 'ca.pem'),
        verifyClients: o.mutualTls ?? false,
      },
      syncEveryWrite: o.syncEveryWrite,
    }),
  );
  return { configFile, users, principals };
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
