import 'reflect-metadata';
import { bootMicroservice, loadNodeAppConfig, natsCredentials, NodeAppModule, runMain } from '#runtime';
import { NationalDispatchHandler } from './dispatch-nationally/national-dispatch.handler.js';

/** A member state's contact point on migrant smuggling; MSX_NODE_ID names it (cp-it, cp-mt, …). */
runMain(async () => {
  const config = loadNodeAppConfig();
  const credentials = natsCredentials(config, config.MSX_NODE_ID);
  await bootMicroservice(
    NodeAppModule.forNode({
      nodeId: config.MSX_NODE_ID,
      natsUrl: config.MSX_NATS_URL,
      routerPublicKey: config.MSX_ROUTER_KEY_FILE.publicKeyDer,
      handler: NationalDispatchHandler,
      credentials,
    }),
    { servers: config.MSX_NATS_URL, name: config.MSX_NODE_ID, logLevel: config.MSX_LOG_LEVEL, credentials },
  );
});
