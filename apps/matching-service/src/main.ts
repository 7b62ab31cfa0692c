import 'reflect-metadata';
import { runNodeApp } from '#node-app';
import { MatchingHandler, matchingSettingsFromConfig, matchingSetup } from './matching-service.setup.js';

/**
 * The blind hit/no-hit matching service: parties' tokens in, hit or no hit and the holder out. It must never
 * be given the parties' matching key (MSX_MATCH_KEY_FILE): it refuses to start with one.
 */
runNodeApp({
  handler: MatchingHandler,
  defaultNodeId: 'hit-no-hit',
  setup: (node) => matchingSetup(matchingSettingsFromConfig(node)),
});
