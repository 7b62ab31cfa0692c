import {
  ConfigError,
  databaseSpec,
  directorySpec,
  int,
  loadConfig,
  logSpec,
  natsSpec,
  nodeId,
  oneOf,
  opsSpec,
  optionalStr,
  schemaName,
  str,
} from '#config';
import { routerKeySpec } from '#runtime';

/** A node app keeps the audit trail's signed checkpoints as a witness when `MSX_WITNESS_DIR` is set. */
export const witnessSpec = {
  /** Folder where this node keeps the audit checkpoints it witnesses (`<log id>.jsonl`); empty: no witness. */
  MSX_WITNESS_DIR: str(''),
  /**
   * The audit service's public key (PEM) the checkpoints must verify against. When empty, the key of the
   * first checkpoint of each trail is pinned in `<dir>/<log id>.key` and later checkpoints must match it.
   */
  MSX_WITNESS_AUDIT_KEY_FILE: str(''),
};

/** A node takes part in blind hit/no-hit when it has the parties' matching key. */
export const blindIndexSpec = {
  /** File of the parties' matching key (64 hex digits); empty: the node takes no part in blind hit/no-hit. */
  MSX_MATCH_KEY_FILE: str(''),
  /** The matching service the node tells its tokens to: a party of kind matching-service. */
  MSX_MATCHING_SERVICE: nodeId('hit-no-hit'),
};

/** How a node sends its outbox. */
export const outboxSpec = {
  /** How long to wait for the exchange to confirm one envelope of the outbox, in milliseconds. */
  MSX_OUTBOX_ACK_TIMEOUT_MS: int(5_000, 100, 120_000),
  /** The longest wait between tries while the exchange cannot be reached, in milliseconds. */
  MSX_OUTBOX_MAX_BACKOFF_MS: int(10_000, 100, 600_000),
  /**
   * `on` for a post on its own leaf node with JetStream: the node app takes what the post's processes put into
   * the leaf's outbox stream (`npm run post -- send`) into its outbox record. `off`: the record alone.
   */
  MSX_LEAF_OUTBOX: oneOf(['on', 'off'] as const, 'off'),
};

/** Where a node keeps its holdings: `MSX_DATABASE_URL`, in a schema of its own. */
export const holdingsSpec = {
  ...databaseSpec,
  /** The node's schema; by default `<MSX_DATABASE_SCHEMA>_<node id with _ for ->`, for example `msx_cp_it`. */
  MSX_NODE_SCHEMA: optionalStr(),
  /** How often the node erases what its retention no longer allows it to keep (directory `retention:`). */
  MSX_RETENTION_SWEEP_MS: int(60_000, 100, 86_400_000),
};

/**
 * The schema of a node's holdings: `MSX_NODE_SCHEMA`, or one named after the exchange's schema and the node.
 * @throws ConfigError naming MSX_NODE_SCHEMA when the name is not a lowercase SQL identifier
 */
export function nodeSchema(
  config: { MSX_DATABASE_SCHEMA: string; MSX_NODE_SCHEMA?: string },
  node: string,
): string {
  const name = config.MSX_NODE_SCHEMA ?? `${config.MSX_DATABASE_SCHEMA}_${node.replaceAll('-', '_')}`;
  try {
    return schemaName(name)(name, 'MSX_NODE_SCHEMA');
  } catch (err) {
    const why = config.MSX_NODE_SCHEMA
      ? ''
      : ` (the default from MSX_DATABASE_SCHEMA and node ${node}; set MSX_NODE_SCHEMA)`;
    throw new ConfigError([`MSX_NODE_SCHEMA: ${(err as Error).message}${why}`]);
  }
}

/**
 * Configuration of a node app (contact point, JOT MARE, AFIC, liaison officer). `MSX_ROUTER_KEY_FILE` is
 * required: a node accepts only inbox copies the router vouched for.
 */
export function loadNodeAppConfig(defaultNodeId?: string, env?: NodeJS.ProcessEnv) {
  const config = loadConfig(
    {
      ...natsSpec,
      ...logSpec,
      ...witnessSpec,
      ...routerKeySpec,
      ...holdingsSpec,
      ...directorySpec,
      ...blindIndexSpec,
      ...outboxSpec,
      ...opsSpec,
      MSX_NODE_ID: nodeId(defaultNodeId),
    },
    env,
  );
  return { ...config, nodeSchema: nodeSchema(config, config.MSX_NODE_ID) };
}

/** Only the witness settings, for the node app module. */
export const loadWitnessConfig = () => loadConfig(witnessSpec);
