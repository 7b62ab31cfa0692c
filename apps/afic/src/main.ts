import 'reflect-metadata';
import { bootMicroservice, loadNodeAppConfig, NodeAppModule, runMain } from '#runtime';
import { PartnerBridgeHandler } from './partner-bridge/partner-bridge.handler.js';

/** Frontex's Africa-Frontex Intelligence Community. */
runMain(async () => {
  const config = loadNodeAppConfig('afic');
  await bootMicroservice(
    NodeAppModule.forNode({
      nodeId: config.MSX_NODE_ID,
      natsUrl: config.MSX_NATS_URL,
      handler: PartnerBridgeHandler,
    }),
    { servers: config.MSX_NATS_URL, name: config.MSX_NODE_ID, logLevel: config.MSX_LOG_LEVEL },
  );
});
