import 'reflect-metadata';
import { loadDirectory } from '#directory';
import { runNodeApp } from '#node-app';
import { AficHandler } from './afic.handler.js';
import { AFIC_MIGRATIONS, aficProviders, aficSettingsFromConfig } from './afic.setup.js';

/**
 * Frontex's Africa-Frontex Intelligence Community: the bridge to the partner countries, passing on what
 * each agreement allows and nothing more, and the joint analysis it issues for them.
 */
runNodeApp({
  handler: AficHandler,
  defaultNodeId: 'afic',
  setup: () => {
    const settings = aficSettingsFromConfig();
    return {
      migrations: AFIC_MIGRATIONS,
      providers: aficProviders(loadDirectory(settings.directoryFile), settings.analysisEveryMs),
    };
  },
});
