import 'reflect-metadata';
import { bootMicroservice, loadNodeAppConfig, natsCredentials, NodeAppModule, runMain } from '#runtime';
import { PartnerBridgeHandler } from './partner-bridge/partner-bridge.handler.js';

/** Frontex's Africa-Frontex Intelligence Community. */
runMain(async () => {
  const config = loadNodeAppConfig('afic');
  const credentials = natsCredentials(config, config.MSX_NODE_ID);
  await bootMicroservice(
    NodeAppModule.forNode({
      nodeId: config.MSX_NODE_ID,
      natsUrl: config.MSX_NATS_URL,
      routerPublicKey: config.MSX_ROUTER_KEY_FILE.publicKeyDer,
      handler: PartnerBridgeHandler,
      credentials,
    }),
    { servers: config.MSX_NATS_URL, name: config.MSX_NODE_ID, logLevel: config.MSX_LOG_LEVEL, credentials },
  );
});
