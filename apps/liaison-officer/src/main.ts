import 'reflect-metadata';
import { bootMicroservice, loadNodeAppConfig, natsCredentials, NodeAppModule, runMain } from '#runtime';
import { ReceiptHandler } from './read-receipts/receipt.handler.js';

/** A European migration liaison officer's post abroad; MSX_NODE_ID names it (emlo-ne, ilo-it-ly, …). */
runMain(async () => {
  const config = loadNodeAppConfig();
  const credentials = natsCredentials(config, config.MSX_NODE_ID);
  await bootMicroservice(
    NodeAppModule.forNode({
      nodeId: config.MSX_NODE_ID,
      natsUrl: config.MSX_NATS_URL,
      routerPublicKey: config.MSX_ROUTER_KEY_FILE.publicKeyDer,
      handler: ReceiptHandler,
      credentials,
    }),
    { servers: config.MSX_NATS_URL, name: config.MSX_NODE_ID, logLevel: config.MSX_LOG_LEVEL, credentials },
  );
});
