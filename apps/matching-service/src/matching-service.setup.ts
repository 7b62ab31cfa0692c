import { directorySpec, int, loadConfig } from '#config';
import { isMatchingService, loadDirectory } from '#directory';
import type { RunNodeAppOptions } from '#node-app';
import { CreateBlindIndex1765800000000 } from './migrations/1765800000000-create-blind-index.js';
import { MATCHING_SETTINGS, MatchingHandler, type MatchingSettings } from './matching.handler.js';

/** Blind queries one party may ask in 24 hours by default. */
export const DEFAULT_DAILY_QUOTA = 200;

/** The matching service's settings from the environment; it must be a matching service of the directory. */
export function matchingSettingsFromConfig(node: string, env?: NodeJS.ProcessEnv): MatchingSettings {
  const c = loadConfig(
    { ...directorySpec, MSX_BLIND_QUERY_QUOTA: int(DEFAULT_DAILY_QUOTA, 1, 100_000) },
    env,
  );
  const directory = loadDirectory(c.MSX_DIRECTORY_FILE);
  if (!isMatchingService(directory.party(node)))
    throw new Error(
      `MSX_NODE_ID: ${node} is not a party of kind matching-service in ${c.MSX_DIRECTORY_FILE}`,
    );
  return { dailyQuota: c.MSX_BLIND_QUERY_QUOTA, directory };
}

/** What the matching service adds to a node app: its index tables and its settings. */
export function matchingSetup(
  settings: MatchingSettings,
): ReturnType<NonNullable<RunNodeAppOptions['setup']>> {
  return {
    migrations: [CreateBlindIndex1765800000000],
    providers: [{ provide: MATCHING_SETTINGS, useValue: settings }],
  };
}

export { MatchingHandler };
