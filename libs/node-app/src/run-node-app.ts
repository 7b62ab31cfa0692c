import type { DynamicModule, Type } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';
import { loadDirectory } from '#directory';
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
          retention: loadDirectory(config.MSX_DIRECTORY_FILE).retention,
        },
        retentionSweepMs: config.MSX_RETENTION_SWEEP_MS,
      }),
      { servers: config.MSX_NATS_URL, name: config.MSX_NODE_ID, logLevel: config.MSX_LOG_LEVEL, credentials },
    );
  });
}
