import type { INestApplicationContext, Type } from '@nestjs/common';
import type { Directory } from '#directory';
import type { InboxHandler } from '#node-app';
import { startNodeAppForTest } from '#testing/node-app';
import { JOT_MARE_MIGRATIONS, jotMareProviders } from './jot-mare.setup.js';
import { DEFAULT_RISK_SETTINGS } from './vessel-watch-list/risk-score.js';

/**
 * JOT MARE as its integration tests run it, with the default risk settings, a threshold of 60 and Frontex risk
 * analysis.
 */
export function startJotMareForTest(o: {
  natsUrl: string;
  routerPublicKey: Uint8Array;
  db: { url: string; schema: string };
  directory: Directory;
  handler: Type<InboxHandler>;
}): Promise<INestApplicationContext> {
  return startNodeAppForTest({
    ...o,
    nodeId: 'jot-mare',
    providers: jotMareProviders(
      { risk: DEFAULT_RISK_SETTINGS, threshold: 60, frontex: 'frontex-ra' },
      o.directory,
    ),
    migrations: JOT_MARE_MIGRATIONS,
  });
}
