import { nkeys } from '@nats-io/transport-node';
import { nodePermissions, servicePermissions, type Permissions } from './permissions.js';

/** A principal of the broker: a node or a core service, with its NKey. */
export interface BrokerUser {
  /** `cp-it`, or `msx-router` for a service. */
  principal: string;
  /** Public NKey (starts with U), written into the server configuration. */
  publicKey: string;
  /** Private seed (starts with SU): a secret, given only to that principal. */
  seed: string;
  permissions: Permissions;
}

/** Makes a fresh NKey for every node and core service. */
export function brokerUsers(nodes: readonly string[]): BrokerUser[] {
  const make = (principal: string, permissions: Permissions): BrokerUser => {
    const kp = nkeys.createUser();
    return {
      principal,
      publicKey: kp.getPublicKey(),
      seed: new TextDecoder().decode(kp.getSeed()),
      permissions,
    };
  };
  return [
    ...(['router', 'audit', 'gateway'] as const).map((s) => make(`msx-${s}`, servicePermissions(s))),
    ...nodes.map((n) => make(n, nodePermissions(n))),
  ];
}

const list = (subjects: string[]) => `[${subjects.map((s) => JSON.stringify(s)).join(', ')}]`;

export interface NatsServerConfigOptions {
  host: string;
  port: number;
  /** JetStream storage folder. */
  storeDir: string;
  users: readonly BrokerUser[];
  /**
   * Sync every write to disk before acknowledging it (`sync_interval: always`), as production requires
   * (DESIGN §4). Needs nats-server 2.10+; the local 2.9 rejects the option, so it is off by default.
   */
  syncEveryWrite?: boolean;
}

/**
 * A nats-server configuration with one NKey user per node and service, each limited to its own subjects;
 * nothing is allowed that is not listed. Contains public keys only, never seeds.
 */
export function renderNatsServerConfig(o: NatsServerConfigOptions): string {
  const users = o.users
    .map(
      (u) => `    # ${u.principal}
    {
      nkey: ${u.publicKey}
      permissions: {
        publish: { allow: ${list(u.permissions.publish)} }
        subscribe: { allow: ${list(u.permissions.subscribe)} }${u.permissions.allowResponses ? '\n        allow_responses: true' : ''}
      }
    }`,
    )
    .join('\n');
  return `# Generated from the directory by MSX; do not edit. Regenerate when the directory changes.
host: ${JSON.stringify(o.host)}
port: ${o.port}
jetstream {
  store_dir: ${JSON.stringify(o.storeDir)}${o.syncEveryWrite ? '\n  sync_interval: always' : ''}
}
authorization {
  users = [
${users}
  ]
}
`;
}
