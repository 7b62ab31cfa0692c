import 'reflect-metadata';
import { loadDirectory } from '#directory';
import { bootMicroservice, natsCredentials, runMain } from '#runtime';
import { loadRouterConfig } from './router.config.js';
import { RouterModule } from './router.module.js';
import { ROUTER_NODE } from '#contracts';

/** The router: decodes, checks and routes every submission under the sharing rules. */
runMain(async () => {
  const config = loadRouterConfig();
  const directory = loadDirectory(config.MSX_DIRECTORY_FILE);
  await bootMicroservice(RouterModule.forRoot(config, directory), {
    servers: config.MSX_NATS_URL,
    name: 'router',
    logLevel: config.MSX_LOG_LEVEL,
    credentials: natsCredentials(config, ROUTER_NODE),
  });
});
