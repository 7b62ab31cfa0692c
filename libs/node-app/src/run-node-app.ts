import type { DynamicModule, Type } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';
import { ConfigError } from '#config';
import { isMatchingService, isThirdCountryParty, loadDirectory, type Directory } from '#directory';
import type { BlindIndexOptions } from './blind-index/blind-indexer.js';
import { readMatchingKeyFile } from './blind-index/matching-key.js';
import { DEFAULT_OUTBOX_OPTIONS } from './outbox/outbox-sender.js';
import { DEFAULT_LEAF_OUTBOX_OPTIONS } from './outbox/leaf-outbox-intake.js';
import { bootMicroservice, natsCredentials, runMain } from '#runtime';
import type { InboxHandler } from './inbox-worker.js';
import { loadNodeAppConfig } from './node-app.config.js';
import { NodeAppModule } from './node-app.module.js';

export interface RunNodeAppOptions {
  /** The node kind's handling of inbox items. */
  handler: Type<InboxHandler>;
  /** The node id when `MSX_NODE_ID` is not set; without it `MSX_NODE_ID` is required. */
  defaultNodeId?: string;
  /**
   * What the node kind adds, read from its own configuration once the common settings are valid (so
   * `--check-config` checks it too): providers its handler needs and migrations of its own tables.
   */
  setup?: (nodeId: string) => {
    providers?: DynamicModule['providers'];
    migrations?: Array<new () => MigrationInterface>;
  };
}

/**
 * The whole of a node app's process: reads and validates its configuration, connects to the broker as the
 * node, and runs {@link NodeAppModule} with `handler` until SIGTERM/SIGINT. With `--check-config` it exits
 * once the configuration is valid; a bad setting or an unreachable bus is printed and exits 1.
 */
export function runNodeApp({ handler, defaultNodeId, setup }: RunNodeAppOptions): void {
  runMain(async () => {
    const config = loadNodeAppConfig(defaultNodeId);
    const own = setup?.(config.MSX_NODE_ID) ?? {};
    const directory = loadDirectory(config.MSX_DIRECTORY_FILE);
    const blindIndex = blindIndexOf(config, directory);
    if (config.MSX_LEAF_OUTBOX === 'on' && directory.party(config.MSX_NODE_ID)?.kind !== 'liaison-officer')
      throw new ConfigError([
        `MSX_LEAF_OUTBOX: ${config.MSX_NODE_ID} is not a liaison officer's post of the directory; only a post keeps its outbox on a leaf node`,
      ]);
    const credentials = natsCredentials(config, config.MSX_NODE_ID);
    await bootMicroservice(
      NodeAppModule.forNode({
        nodeId: config.MSX_NODE_ID,
        natsUrl: config.MSX_NATS_URL,
        routerPublicKey: config.MSX_ROUTER_KEY_FILE.publicKeyDer,
        handler,
        providers: own.providers,
        credentials,
        holdings: {
          url: config.MSX_DATABASE_URL,
          schema: config.nodeSchema,
          migrations: own.migrations,
          retention: directory.retention,
        },
        retentionSweepMs: config.MSX_RETENTION_SWEEP_MS,
        blindIndex,
        outbox: {
          ackTimeoutMs: config.MSX_OUTBOX_ACK_TIMEOUT_MS,
          maxBackoffMs: config.MSX_OUTBOX_MAX_BACKOFF_MS,
          pollMs: DEFAULT_OUTBOX_OPTIONS.pollMs,
        },
        ...(config.MSX_LEAF_OUTBOX === 'on'
          ? {
              leafOutbox: {
                ...DEFAULT_LEAF_OUTBOX_OPTIONS,
                maxBackoffMs: config.MSX_OUTBOX_MAX_BACKOFF_MS,
              },
            }
          : {}),
        ops: config,
      }),
      { servers: config.MSX_NATS_URL, name: config.MSX_NODE_ID, logLevel: config.MSX_LOG_LEVEL, credentials },
    );
  });
}

/**
 * The node's part in blind hit/no-hit: none without `MSX_MATCH_KEY_FILE`. A matching service never holds the
 * key, and the service named must be one.
 * @throws ConfigError naming the setting that is wrong
 */
export function blindIndexOf(
  config: { MSX_NODE_ID: string; MSX_MATCH_KEY_FILE: string; MSX_MATCHING_SERVICE: string },
  directory: Directory,
): BlindIndexOptions | undefined {
  const self = directory.party(config.MSX_NODE_ID);
  if (isMatchingService(self)) {
    if (config.MSX_MATCH_KEY_FILE)
      throw new ConfigError([
        `MSX_MATCH_KEY_FILE: ${config.MSX_NODE_ID} is a matching service, which must never hold the matching key`,
      ]);
    return undefined;
  }
  if (!config.MSX_MATCH_KEY_FILE) return undefined;
  if (self && isThirdCountryParty(self))
    throw new ConfigError([
      `MSX_MATCH_KEY_FILE: ${config.MSX_NODE_ID} is a third country's node: the matching key is for the parties of the EU`,
    ]);
  if (!isMatchingService(directory.party(config.MSX_MATCHING_SERVICE)))
    throw new ConfigError([
      `MSX_MATCHING_SERVICE: ${config.MSX_MATCHING_SERVICE} is not a party of kind matching-service in the directory`,
    ]);
  try {
    return { key: readMatchingKeyFile(config.MSX_MATCH_KEY_FILE), matcher: config.MSX_MATCHING_SERVICE };
  } catch (err) {
    throw new ConfigError([`MSX_MATCH_KEY_FILE: ${(err as Error).message}`]);
  }
}
