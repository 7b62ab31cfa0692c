import 'reflect-metadata';
import { bootMicroservice, loadNodeAppConfig, natsCredentials, NodeAppModule, runMain } from '#runtime';
import { SuspectVesselHandler } from './suspect-vessel-list/suspect-vessel.handler.js';

/** Europol's JOT MARE: the EU information hub on smuggling by sea. */
runMain(async () => {
  const config = loadNodeAppConfig('jot-mare');
  const credentials = natsCredentials(config, config.MSX_NODE_ID);
  await bootMicroservice(
    NodeAppModule.forNode({
      nodeId: config.MSX_NODE_ID,
      natsUrl: config.MSX_NATS_URL,
      routerPublicKey: config.MSX_ROUTER_KEY_FILE.publicKeyDer,
      handler: SuspectVesselHandler,
      credentials,
    }),
    { servers: config.MSX_NATS_URL, name: config.MSX_NODE_ID, logLevel: config.MSX_LOG_LEVEL, credentials },
  );
});
