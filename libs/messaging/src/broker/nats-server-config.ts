import { nkeys } from '@nats-io/transport-node';
import { ADMIN_PRINCIPAL, SERVICE_PRINCIPALS } from '#contracts';
import {
  adminPermissions,
  CORE_ACCOUNT,
  CORE_SERVICES,
  isCorePrincipal,
  partyPermissions,
  partyServices,
  servicePermissions,
  type Permissions,
} from './permissions.js';
import { Subjects } from '../subjects.js';

/** A principal of the broker: a node or a core service, with its NKey. */
export interface BrokerUser {
  /** `cp-it`, or `msx-router` for a service. */
  principal: string;
  /** The account it belongs to: {@link CORE_ACCOUNT} for core principals, its own for a party. */
  account: string;
  /** Public NKey (starts with U), written into the server configuration. */
  publicKey: string;
  /** Private seed (starts with SU): a secret, given only to that principal. */
  seed: string;
  permissions: Permissions;
}

/** The account of a principal: the core account, or the party's own account named after its node id. */
export const accountOf = (principal: string) => (isCorePrincipal(principal) ? CORE_ACCOUNT : principal);

/** Makes a fresh NKey for every core service, the operator and every node. */
export function brokerUsers(nodes: readonly string[]): BrokerUser[] {
  const make = (principal: string, permissions: Permissions): BrokerUser => {
    const kp = nkeys.createUser();
    return {
      principal,
      account: accountOf(principal),
      publicKey: kp.getPublicKey(),
      seed: new TextDecoder().decode(kp.getSeed()),
      permissions,
    };
  };
  return [
    ...CORE_SERVICES.map((s) => make(SERVICE_PRINCIPALS[s], servicePermissions(s))),
    make(ADMIN_PRINCIPAL, adminPermissions()),
    ...nodes.map((n) => make(n, partyPermissions(n))),
  ];
}

/** TLS of the broker's client port. */
export interface BrokerTlsFiles {
  certFile: string;
  keyFile: string;
  /** The CA whose client certificates are accepted (mutual TLS). */
  caFile: string;
  /** Require every client to present a certificate signed by the CA (mutual TLS). */
  verifyClients: boolean;
}

export interface NatsServerConfigOptions {
  host: string;
  port: number;
  /** JetStream storage folder. */
  storeDir: string;
  users: readonly BrokerUser[];
  /** TLS for client connections; without it the port speaks plain text (tests of the broker's rules only). */
  tls?: BrokerTlsFiles;
  /**
   * Sync every write to disk before acknowledging it (`sync_interval: always`), as production requires
   * (DESIGN §4). Needs nats-server 2.10+; the local 2.9 rejects the option, so it is off by default.
   */
  syncEveryWrite?: boolean;
  /** Largest message a client may publish, in bytes (nats-server `max_payload`). */
  maxPayloadBytes?: number;
  /** A port for the leaf nodes of posts abroad; none without it. */
  leafnodes?: LeafNodeListener;
  /** This server's name: unique within its cluster, required there (JetStream's replicas are placed by it). */
  serverName?: string;
  /** This server's part in a cluster; a server on its own without it. */
  cluster?: ClusterListener;
}

/** A server's routes to the other servers of its cluster (NATS clustering, not anything of MSX's own). */
export interface ClusterListener {
  /** The cluster's name, the same on every server. */
  name: string;
  /** Where it accepts routes (default: the client port's `host`). */
  host?: string;
  port: number;
  /** The other servers' route URLs, `nats-route://host:port`. */
  routes: readonly string[];
  /**
   * Mutual TLS of the routes, with the cluster's own route CA (never the clients' CA: a party's client
   * certificate would then open a route, and a route sees every account). Plain text without it: tests only.
   */
  tls?: BrokerTlsFiles;
}

/** A post abroad (a party of kind `liaison-officer`) that runs a leaf node of its own. */
export interface LeafPost {
  /** Node id of the post (`emlo-ne`): the user name its leaf connects with, and the party account it is bound to. */
  post: string;
  /** bcrypt hash of the post's leaf password (`leafCredentials`); never the password itself. */
  passwordHash: string;
}

/** The hub's leaf node port: where the leaf nodes of posts abroad connect, each bound to its party's account. */
export interface LeafNodeListener {
  /** Address to listen on (default: the client port's `host`). A post abroad needs one it can reach. */
  host?: string;
  port: number;
  /** The `host:port` posts reach the leaf port at, when not the one it listens on (NAT, a proxy, a relay). */
  advertise?: string;
  posts: readonly LeafPost[];
  /**
   * TLS of the leaf node port; `verifyClients` also requires the leaf to present a certificate signed by the
   * CA (the post's client certificate). Without it the port speaks plain text (tests only): passwords in clear.
   */
  tls?: BrokerTlsFiles;
}

const q = (s: string) => JSON.stringify(s);
const list = (subjects: string[]) => `[${subjects.map(q).join(', ')}]`;

/** A bcrypt hash (`$2a$`, `$2b$` or `$2y$`, cost, 53 characters of salt and hash), as nats-server accepts it. */
export const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

function renderTls(t: BrokerTlsFiles, indent: string): string {
  return `${indent}tls {
${indent}  cert_file: ${q(t.certFile)}
${indent}  key_file: ${q(t.keyFile)}
${indent}  ca_file: ${q(t.caFile)}
${indent}  verify: ${t.verifyClients}
${indent}  timeout: 5
${indent}}
`;
}

/**
 * The `cluster` block. `no_advertise`: clients are not told the other servers' addresses, which may be ones
 * their certificates do not name; they are given every server's URL by configuration (MSX_NATS_URL).
 */
function renderCluster(c: ClusterListener, host: string): string {
  if (c.routes.length === 0) throw new Error('a cluster server needs routes to the other servers');
  return `cluster {
  name: ${q(c.name)}
  host: ${q(c.host ?? host)}
  port: ${c.port}
  no_advertise: true
  routes: [
${c.routes.map((r) => `    ${q(r)}`).join('\n')}
  ]
${c.tls ? renderTls(c.tls, '  ') : ''}}
`;
}

/**
 * The `leafnodes` block: each post's leaf logs in with its node id and password, and the hub binds it to that
 * party's account, whatever the leaf asks for. nats-server 2.9 takes no permissions on a leaf user (it
 * refuses the field), so the account is the whole fence: it holds nothing but the party's own imports and
 * its health export. Passwords are bcrypt hashes; a plain password is refused here.
 */
function renderLeafNodes(l: LeafNodeListener, host: string, parties: readonly BrokerUser[]): string {
  const users = l.posts.map((p) => {
    const party = parties.find((u) => u.principal === p.post);
    if (!party) throw new Error(`leaf node of ${p.post}: not a party of this broker`);
    if (!BCRYPT_HASH.test(p.passwordHash))
      throw new Error(`leaf node of ${p.post}: password is not a bcrypt hash`);
    return `      { user: ${q(p.post)}, password: ${q(p.passwordHash)}, account: ${q(party.account)} }`;
  });
  // A leaf learns the hub's leaf address from it and reconnects there: it must be the one posts reach (a
  // public name, or a relay), not the address the hub listens on.
  return `leafnodes {
  host: ${q(l.host ?? host)}
  port: ${l.port}${l.advertise ? `\n  advertise: ${q(l.advertise)}` : ''}
${l.tls ? renderTls(l.tls, '  ') : ''}  authorization {
    users: [
${users.join('\n')}
    ]
  }
}
`;
}

/** A `publish` or `subscribe` block: what is allowed, and what is denied of it (the deny wins). */
const rights = (allow: string[], deny: string[] = []) =>
  `{ allow: ${list(allow)}${deny.length > 0 ? `, deny: ${list(deny)}` : ''} }`;

function renderUser(u: BrokerUser, indent: string): string {
  const p = u.permissions;
  return `${indent}# ${u.principal}
${indent}{
${indent}  nkey: ${u.publicKey}
${indent}  permissions: {
${indent}    publish: ${rights(p.publish, p.publishDeny)}
${indent}    subscribe: ${rights(p.subscribe)}${p.allowResponses ? `\n${indent}    allow_responses: { max: 1, expires: "${p.allowResponses.windowMs}ms" }` : ''}
${indent}  }
${indent}}`;
}

/**
 * A nats-server configuration with an account per party and one core account that owns JetStream (DESIGN
 * §4). The core account exports to each party, as services and to that party alone, exactly what it needs
 * ({@link partyServices}); each party exports its health subject to the core account. Nothing else crosses.
 * Within each account every user is limited to its own subjects. Contains public keys only, never seeds.
 */
export function renderNatsServerConfig(o: NatsServerConfigOptions): string {
  const core = o.users.filter((u) => u.account === CORE_ACCOUNT);
  const parties = o.users.filter((u) => u.account !== CORE_ACCOUNT);
  const exports = parties.flatMap((u) =>
    partyServices(u.principal).map(
      (s) =>
        `      { service: ${q(s.subject)}, accounts: [${q(u.account)}]${s.streamResponse ? ', response_type: stream' : ''} }`,
    ),
  );
  const healthImports = parties.map(
    (u) => `      { service: { account: ${q(u.account)}, subject: ${q(Subjects.health(u.principal))} } }`,
  );
  const partyAccounts = parties.map((u) => {
    const imports = partyServices(u.principal).map(
      (s) =>
        `      { service: { account: ${q(CORE_ACCOUNT)}, subject: ${q(s.subject)} }${s.local !== s.subject ? `, to: ${q(s.local)}` : ''} }`,
    );
    return `  ${q(u.account)}: {
    users: [
${renderUser(u, '      ')}
    ]
    imports: [
${imports.join('\n')}
    ]
    exports: [
      { service: ${q(Subjects.health(u.principal))}, accounts: [${q(CORE_ACCOUNT)}] }
    ]
  }`;
  });
  const tls = o.tls ? renderTls(o.tls, '') : '';
  const leafnodes = o.leafnodes ? renderLeafNodes(o.leafnodes, o.host, parties) : '';
  if (o.cluster && !o.serverName) throw new Error('a cluster server needs a server name');
  const cluster = o.cluster ? renderCluster(o.cluster, o.host) : '';
  return `# Generated from the directory by MSX; do not edit. Regenerate when the directory changes.
# An account per party and one core account that owns JetStream; see deploy/README.md.
${o.serverName ? `server_name: ${q(o.serverName)}\n` : ''}host: ${q(o.host)}
port: ${o.port}
max_payload: ${o.maxPayloadBytes ?? 1_048_576}
${tls}jetstream {
  store_dir: ${q(o.storeDir)}${o.syncEveryWrite ? '\n  sync_interval: always' : ''}
}
accounts {
  ${q(CORE_ACCOUNT)}: {
    jetstream: enabled
    users: [
${core.map((u) => renderUser(u, '      ')).join('\n')}
    ]
    exports: [
${exports.join('\n')}
    ]
    imports: [
${healthImports.join('\n')}
    ]
  }
${partyAccounts.join('\n')}
}
${cluster}${leafnodes}`;
}
