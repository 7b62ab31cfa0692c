import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Directory } from '#directory';
import { NodeAppModule, type InboxHandler } from '#node-app';
import { JOT_MARE_MIGRATIONS, jotMareProviders } from './jot-mare.setup.js';
import { DEFAULT_RISK_SETTINGS } from './vessel-watch-list/risk-score.js';

/**
 * JOT MARE as its integration tests run it: one node app on the given broker and schema, with the default
 * risk settings, a threshold of 60 and Frontex risk analysis, without a checkpoint witness.
 */
export function startJotMareForTest(o: {
  natsUrl: string;
  routerPublicKey: Uint8Array;
  db: { url: string; schema: string };
  directory: Directory;
  handler: Type<InboxHandler>;
}): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(
    NodeAppModule.forNode({
      nodeId: 'jot-mare',
      natsUrl: o.natsUrl,
      routerPublicKey: o.routerPublicKey,
      handler: o.handler,
      providers: jotMareProviders(
        { risk: DEFAULT_RISK_SETTINGS, threshold: 60, frontex: 'frontex-ra' },
        o.directory,
      ),
      witness: null,
      holdings: { url: o.db.url, schema: o.db.schema, migrations: JOT_MARE_MIGRATIONS },
    }),
    { logger: ['error'] },
  );
}
