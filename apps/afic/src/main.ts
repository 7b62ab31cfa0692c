import 'reflect-metadata';
import { directorySpec, loadConfig } from '#config';
import { loadDirectory } from '#directory';
import { runNodeApp } from '#node-app';
import { AFIC_MIGRATIONS, aficProviders } from './afic.setup.js';
import { PartnerBridgeHandler } from './partner-bridge/partner-bridge.handler.js';

/**
 * Frontex's Africa-Frontex Intelligence Community: the bridge to the partner countries, passing on what
 * each agreement allows and nothing more.
 */
runNodeApp({
  handler: PartnerBridgeHandler,
  defaultNodeId: 'afic',
  setup: () => ({
    migrations: AFIC_MIGRATIONS,
    providers: aficProviders(loadDirectory(loadConfig(directorySpec).MSX_DIRECTORY_FILE)),
  }),
});
