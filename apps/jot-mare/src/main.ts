import 'reflect-metadata';
import { loadDirectory } from '#directory';
import { runNodeApp } from '#node-app';
import { JOT_MARE_MIGRATIONS, jotMareProviders, watchListSettingsFromConfig } from './jot-mare.setup.js';
import { JotMareHandler } from './jot-mare.handler.js';

/**
 * Europol's JOT MARE: the EU information hub on smuggling by sea, with its suspect-vessel watch-list and the
 * correlation of selectors across reports.
 */
runNodeApp({
  handler: JotMareHandler,
  defaultNodeId: 'jot-mare',
  setup: () => {
    const settings = watchListSettingsFromConfig();
    const directory = loadDirectory(settings.directoryFile);
    if (!directory.party(settings.frontex))
      throw new Error(
        `MSX_VESSEL_ALERT_FRONTEX: ${settings.frontex} is not a party of ${settings.directoryFile}`,
      );
    return {
      migrations: JOT_MARE_MIGRATIONS,
      providers: jotMareProviders(settings, directory, settings.pictureEveryMs),
    };
  },
});
