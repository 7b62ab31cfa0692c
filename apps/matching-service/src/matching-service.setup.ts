import { directorySpec, int, loadConfig } from '#config';
import { isMatchingService, loadDirectory } from '#directory';
import type { RunNodeAppOptions } from '#node-app';
import { CreateBlindIndex1765800000000 } from './migrations/1765800000000-create-blind-index.js';
import { MATCHING_SETTINGS, MatchingHandler, type MatchingSettings } from './matching.handler.js';

/** Tokens one party may ask about in 24 hours by default. */
export const DEFAULT_DAILY_QUOTA = 1_000;
/** Tokens one holder may have in the index by default (64 per item at most). */
export const DEFAULT_HOLDER_LIMIT = 200_000;

/** The matching service's settings from the environment; it must be a matching service of the directory. */
export function matchingSettingsFromConfig(node: string, env?: NodeJS.ProcessEnv): MatchingSettings {
  const c = loadConfig(
    {
      ...directorySpec,
      MSX_BLIND_QUERY_QUOTA: int(DEFAULT_DAILY_QUOTA, 1, 1_000_000),
      MSX_BLIND_INDEX_HOLDER_LIMIT: int(DEFAULT_HOLDER_LIMIT, 1, 100_000_000),
    },
    env,
  );
  const directory = loadDirectory(c.MSX_DIRECTORY_FILE);
  if (!isMatchingService(directory.party(node)))
    throw new Error(
      `MSX_NODE_ID: ${node} is not a party of kind matching-service in ${c.MSX_DIRECTORY_FILE}`,
    );
  return {
    dailyQuota: c.MSX_BLIND_QUERY_QUOTA,
    holderLimit: c.MSX_BLIND_INDEX_HOLDER_LIMIT,
    directory,
  };
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
