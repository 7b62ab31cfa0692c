import type { DynamicModule } from '@nestjs/common';
import { directorySpec, int, loadConfig } from '#config';
import type { Directory } from '#directory';
import { HOLDINGS, type HoldingsStore } from '#node-app';
import {
  JOINT_ANALYSIS_EVERY_MS,
  JointAnalysisService,
  OBSERVATIONS,
} from './joint-analysis/joint-analysis.service.js';
import { CreateRouteObservation1765600000000 } from './joint-analysis/migrations/1765600000000-create-route-observation.js';
import { ObservationStore } from './joint-analysis/observation.store.js';
import { CreatePartnerRelease1765500000000 } from './partner-bridge/migrations/1765500000000-create-partner-release.js';
import { AFIC_DIRECTORY, PartnerBridgeHandler, RELEASES } from './partner-bridge/partner-bridge.handler.js';
import { ReleaseStore } from './partner-bridge/release.store.js';

/** How often AFIC issues its joint analysis by default: every four weeks. */
export const FOUR_WEEKS_MS = 28 * 86_400_000;

/** AFIC's own tables in its holdings schema. */
export const AFIC_MIGRATIONS = [CreatePartnerRelease1765500000000, CreateRouteObservation1765600000000];

/** AFIC's settings from the environment: the directory and how often it issues its joint analysis. */
export function aficSettingsFromConfig(env?: NodeJS.ProcessEnv): {
  directoryFile: string;
  analysisEveryMs: number;
} {
  const c = loadConfig(
    { ...directorySpec, MSX_JOINT_ANALYSIS_EVERY_MS: int(FOUR_WEEKS_MS, 1_000, 366 * 86_400_000) },
    env,
  );
  return { directoryFile: c.MSX_DIRECTORY_FILE, analysisEveryMs: c.MSX_JOINT_ANALYSIS_EVERY_MS };
}

/**
 * What AFIC adds to a node app: its record of releases, its route observations and joint analysis, and the
 * directory whose agreements it applies.
 */
export function aficProviders(
  directory: Directory,
  analysisEveryMs: number = FOUR_WEEKS_MS,
): NonNullable<DynamicModule['providers']> {
  return [
    { provide: AFIC_DIRECTORY, useValue: directory },
    { provide: JOINT_ANALYSIS_EVERY_MS, useValue: analysisEveryMs },
    {
      provide: OBSERVATIONS,
      useFactory: (holdings: HoldingsStore) => new ObservationStore(holdings),
      inject: [HOLDINGS],
    },
    PartnerBridgeHandler,
    JointAnalysisService,
    {
      provide: RELEASES,
      useFactory: (holdings: HoldingsStore) => new ReleaseStore(holdings),
      inject: [HOLDINGS],
    },
  ];
}
