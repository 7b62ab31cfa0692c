import type { DynamicModule } from '@nestjs/common';
import { directorySpec, int, loadConfig, nodeId } from '#config';
import { type loadDirectory } from '#directory';
import { HOLDINGS, type HoldingsStore } from '#node-app';
import { CreateSelectorIndex1765400000000 } from './correlation/migrations/1765400000000-create-selector-index.js';
import { SelectorCorrelator, SELECTOR_INDEX } from './correlation/selector-correlator.js';
import { SelectorIndexStore } from './correlation/selector-index.store.js';
import { EvidencePurposes1766100000000 } from './vessel-watch-list/migrations/1766100000000-evidence-purposes.js';
import { CreateVesselWatchList1765300000000 } from './vessel-watch-list/migrations/1765300000000-create-vessel-watch-list.js';
import {
  MARITIME_PICTURE_EVERY_MS,
  MaritimePictureService,
} from './maritime-picture/maritime-picture.service.js';
import { DEFAULT_RISK_SETTINGS } from './vessel-watch-list/risk-score.js';
import {
  DIRECTORY,
  VesselWatchHandler,
  WATCH_LIST,
  WATCH_LIST_SETTINGS,
  type WatchListSettings,
} from './vessel-watch-list/vessel-watch.handler.js';
import { WatchListStore } from './vessel-watch-list/watch-list.store.js';

/** How often JOT MARE issues its maritime picture by default: weekly. */
export const WEEK_MS = 7 * 86_400_000;

/** JOT MARE's own tables in its holdings schema. */
export const JOT_MARE_MIGRATIONS = [
  CreateVesselWatchList1765300000000,
  CreateSelectorIndex1765400000000,
  EvidencePurposes1766100000000,
];

/** JOT MARE's watch-list settings from the environment: the alert threshold and the Frontex party. */
export function watchListSettingsFromConfig(
  env?: NodeJS.ProcessEnv,
): WatchListSettings & { directoryFile: string; pictureEveryMs: number } {
  const c = loadConfig(
    {
      ...directorySpec,
      MSX_VESSEL_ALERT_THRESHOLD: int(60, 1, 1_000),
      MSX_VESSEL_ALERT_FRONTEX: nodeId('frontex-ra'),
      MSX_MARITIME_PICTURE_EVERY_MS: int(WEEK_MS, 1_000, 31 * 86_400_000),
    },
    env,
  );
  return {
    risk: DEFAULT_RISK_SETTINGS,
    threshold: c.MSX_VESSEL_ALERT_THRESHOLD,
    frontex: c.MSX_VESSEL_ALERT_FRONTEX,
    directoryFile: c.MSX_DIRECTORY_FILE,
    pictureEveryMs: c.MSX_MARITIME_PICTURE_EVERY_MS,
  };
}

/**
 * What JOT MARE adds to a node app: its watch-list and selector index, the settings, and the directory it
 * alerts from and applies the sharing rules of.
 */
export function jotMareProviders(
  settings: WatchListSettings,
  directory: ReturnType<typeof loadDirectory>,
  pictureEveryMs: number = WEEK_MS,
): NonNullable<DynamicModule['providers']> {
  return [
    { provide: MARITIME_PICTURE_EVERY_MS, useValue: pictureEveryMs },
    MaritimePictureService,
    { provide: WATCH_LIST_SETTINGS, useValue: settings },
    { provide: DIRECTORY, useValue: directory },
    {
      provide: WATCH_LIST,
      useFactory: (holdings: HoldingsStore) => new WatchListStore(holdings),
      inject: [HOLDINGS],
    },
    {
      provide: SELECTOR_INDEX,
      useFactory: (holdings: HoldingsStore) => new SelectorIndexStore(holdings),
      inject: [HOLDINGS],
    },
    VesselWatchHandler,
    SelectorCorrelator,
  ];
}
