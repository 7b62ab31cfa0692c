import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { Durables, postDomain, Streams, Subjects } from '../subjects.js';
import { partyPermissions } from './permissions.js';

/**
 * A post abroad (a party of kind `liaison-officer`) runs a nats-server of its own, a leaf node: its processes
 * connect to it on the post's machine, and it keeps one link to the hub's leaf node port. The hub binds that
 * link to the post's own party account (`leafnodes.authorization` in the hub's configuration), so through it
 * the post reaches exactly what its account holds: its own submit and audit subjects, its own inbox and
 * witness consumers, and its health subject. nats-server 2.9 cannot log a leaf in with an NKey (that came in
 * 2.10.9), hence a user name and password.
 */

/** Random bytes in a leaf password (256 bits). */
export const LEAF_PASSWORD_BYTES = 32;

/** bcrypt cost of the hash the hub keeps: about 0.1 s per check, made on each (re)connection of a leaf. */
export const LEAF_PASSWORD_BCRYPT_COST = 11;

/** What a post's leaf logs in to the hub with. */
export interface LeafCredentials {
  /** The post's node id, which is the leaf's user name at the hub. */
  user: string;
  /** A secret, for the post's own leaf configuration only; never logged, never in the hub's configuration. */
  password: string;
  /** The bcrypt hash of `password`: what the hub's configuration holds. */
  passwordHash: string;
}

/** Makes a fresh random password for a post's leaf (base64url, URL-safe) and its bcrypt hash. */
export async function leafCredentials(
  post: string,
  cost: number = LEAF_PASSWORD_BCRYPT_COST,
): Promise<LeafCredentials> {
  if (cost < 10) throw new Error(`bcrypt cost ${cost} is too low for a leaf password (at least 10)`);
  const password = randomBytes(LEAF_PASSWORD_BYTES).toString('base64url');
  return { user: post, password, passwordHash: await bcrypt.hash(password, cost) };
}

/** TLS of the link to the hub: the CA that signed the hub's certificate, and the post's client certificate. */
export interface LeafRemoteTls {
  caFile: string;
  /** Client certificate and key, when the hub's leaf port requires one (`verifyClients`). */
  certFile?: string;
  keyFile?: string;
}

export interface LeafNodeConfigOptions {
  /** Node id of the post (`emlo-ne`). */
  post: string;
  /** Address the post's processes connect to (default 127.0.0.1: nothing beyond the post's machine). */
  localHost?: string;
  localPort: number;
  /**
   * The post's NKey public key (starts with U), the same the hub knows it by: the post's processes connect to
   * the leaf with the seed they would use at the hub, under the same permissions.
   */
  localNkey: string;
  /**
   * The hub's leaf node port, `nats-leaf://hub.example:7422` (or `tls://…`), or the leaf ports of every server
   * of a cluster: the leaf links to one and moves to another when it fails. Credentials are added here.
   */
  hubLeafUrl: string | readonly string[];
  /** The leaf's user name and password at the hub ({@link leafCredentials}). */
  user: string;
  password: string;
  /** TLS of the link to the hub; without it the password crosses in clear (tests only). */
  tls?: LeafRemoteTls;
  /** Largest message a local client may publish, in bytes; keep it equal to the hub's. */
  maxPayloadBytes?: number;
  /**
   * JetStream of the leaf's own, for the post's outbox ({@link leafOutboxApi}): its storage folder on the
   * post's machine, and how much of the disk it may take (default 1 GiB). Without it the leaf stores nothing.
   */
  jetstream?: {
    storeDir: string;
    maxFileBytes?: number;
    /** Sync every write to disk before acknowledging it (`sync_interval: always`, nats-server 2.10+), as the hub. */
    syncEveryWrite?: boolean;
  };
}

/** Disk the post's leaf may fill with its outbox by default: far beyond months of reports, far below a disk. */
export const LEAF_MAX_FILE_BYTES = 1024 ** 3;

/**
 * What the post's processes may ask of their leaf's own JetStream: make and read the outbox stream, and take
 * from it through the intake consumer. Not a change to either once made (limits could drop reports; the node
 * app refuses an outbox made otherwise), not its deletion or a purge, and no other stream. Each under the
 * domain's prefix (`$JS.<domain>.API`, what the post's clients ask) and the plain one (`$JS.API`, what the
 * leaf maps that to, and checks again). The ack subjects are of the outbox stream only. Every process holding
 * the post's NKey has these rights: the leaf knows the post by one key, so a process of the post's could take
 * reports from the intake itself; what it takes it must send, as the node app does.
 */
export function leafOutboxApi(post: string): string[] {
  const stream = Streams.postOutbox;
  const consumer = `${stream}.${Durables.postIntake}`;
  const calls = [
    'INFO',
    `STREAM.CREATE.${stream}`,
    `STREAM.INFO.${stream}`,
    `CONSUMER.CREATE.${consumer}`,
    `CONSUMER.CREATE.${consumer}.>`,
    `CONSUMER.DURABLE.CREATE.${consumer}`,
    `CONSUMER.INFO.${consumer}`,
    `CONSUMER.MSG.NEXT.${consumer}`,
  ];
  return [
    ...calls.map((c) => `$JS.${postDomain(post)}.API.${c}`),
    ...calls.map((c) => `$JS.API.${c}`),
    `$JS.ACK.${consumer}.>`,
  ];
}

/**
 * What never crosses the link to the hub, either way: the outbox subject, the leaf's JetStream API (plain
 * and under its domain) and the outbox's acks. Its JetStream is the post's, reached from the post's machine
 * only; nothing at the hub may read the post's outbox or ask its leaf's JetStream anything, and no request
 * of the post's processes to their leaf's JetStream may leak to the hub.
 */
export function leafLocalOnly(post: string): string[] {
  return [
    Subjects.postOutbox(post),
    `${Subjects.postOutbox(post)}.>`,
    '$JS.API.>',
    `$JS.${postDomain(post)}.API.>`,
    `$JS.ACK.${Streams.postOutbox}.>`,
  ];
}

const q = (s: string) => JSON.stringify(s);
const list = (subjects: string[]) => `[${subjects.map(q).join(', ')}]`;

/** The hub's leaf URL with the leaf's user name and password in it, the way nats-server 2.9 takes them. */
export function leafRemoteUrl(hubLeafUrl: string, user: string, password: string): string {
  const url = new URL(hubLeafUrl);
  if (!url.hostname || !url.port) throw new Error(`hub leaf URL needs a host and a port: ${hubLeafUrl}`);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  return url.toString().replace(/\/$/, '');
}

/** The remote's `url`, or its `urls` when the hub is a cluster, each with the leaf's credentials. */
function hubUrls(o: LeafNodeConfigOptions): string {
  const urls = (typeof o.hubLeafUrl === 'string' ? [o.hubLeafUrl] : o.hubLeafUrl).map((u) =>
    leafRemoteUrl(u, o.user, o.password),
  );
  if (urls.length === 0) throw new Error(`leaf node of ${o.post}: no hub leaf URL`);
  return urls.length === 1 ? `url: ${q(urls[0])}` : `urls: ${list(urls)}`;
}

/**
 * The configuration of a post's own nats-server: a leaf node of the hub, linked to the hub's leaf port as the
 * post. The exchange's streams live at the hub; with `jetstream`, the leaf also keeps the post's outbox in a
 * JetStream of its own, under the post's domain ({@link postDomain}), which the link never carries
 * ({@link leafLocalOnly}): the post's processes put reports there while the hub cannot be reached.
 *
 * Local clients log in with the post's NKey and get the post's party permissions, as at the hub. Not an open
 * loopback port: anything running on the post's machine could then speak for the post, and the post's
 * processes already hold the NKey seed (MSX_NATS_NKEY_SEED_FILE), so they need only the leaf's URL. The
 * permissions are a second fence; the first is the hub's account binding, which a leaf cannot choose.
 *
 * The file holds the post's leaf password: write it with {@link writeLeafNodeConfig} (mode 0600) into the
 * post's own secrets folder, and give it to that post alone.
 */
export function renderLeafNodeConfig(o: LeafNodeConfigOptions): string {
  const party = partyPermissions(o.post);
  const p = o.jetstream
    ? {
        ...party,
        publish: [
          ...party.publish,
          Subjects.postOutbox(o.post),
          Subjects.postSetAside(o.post),
          ...leafOutboxApi(o.post),
        ],
      }
    : party;
  const jetstream = o.jetstream
    ? `# The post's outbox waits here while the link is down: JetStream of the leaf's own, a domain apart.
jetstream {
  domain: ${q(postDomain(o.post))}
  store_dir: ${q(o.jetstream.storeDir)}
  max_file_store: ${o.jetstream.maxFileBytes ?? LEAF_MAX_FILE_BYTES}${o.jetstream.syncEveryWrite ? '\n  sync_interval: always' : ''}
}
`
    : '';
  const localOnly = o.jetstream
    ? `
      deny_exports: ${list(leafLocalOnly(o.post))}
      deny_imports: ${list(leafLocalOnly(o.post))}`
    : '';
  const tls = o.tls
    ? `
      tls {
        ca_file: ${q(o.tls.caFile)}${o.tls.certFile ? `\n        cert_file: ${q(o.tls.certFile)}` : ''}${o.tls.keyFile ? `\n        key_file: ${q(o.tls.keyFile)}` : ''}
        timeout: 5
      }`
    : '';
  return `# The leaf node of post ${o.post}, generated by MSX; do not edit.
# Holds the post's password at the hub: mode 0600, for this post alone.
server_name: ${q(`msx-leaf-${o.post}`)}
host: ${q(o.localHost ?? '127.0.0.1')}
port: ${o.localPort}
max_payload: ${o.maxPayloadBytes ?? 1_048_576}
${jetstream}authorization {
  users: [
    # ${o.post}
    {
      nkey: ${o.localNkey}
      permissions: {
        publish: { allow: ${list(p.publish)} }
        subscribe: { allow: ${list(p.subscribe)} }${p.allowResponses ? `\n        allow_responses: { max: 1, expires: "${p.allowResponses.windowMs}ms" }` : ''}
      }
    }
  ]
}
leafnodes {
  remotes: [
    {
      ${hubUrls(o)}${localOnly}${tls}
    }
  ]
}
`;
}

/** Writes a post's leaf configuration (it holds a password) readable by its owner only, and returns its path. */
export function writeLeafNodeConfig(file: string, o: LeafNodeConfigOptions): string {
  writeFileSync(file, renderLeafNodeConfig(o), { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
