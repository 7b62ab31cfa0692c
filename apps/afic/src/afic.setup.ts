import type { DynamicModule } from '@nestjs/common';
import type { Directory } from '#directory';
import { HOLDINGS, type HoldingsStore } from '#node-app';
import { CreatePartnerRelease1765500000000 } from './partner-bridge/migrations/1765500000000-create-partner-release.js';
import { AFIC_DIRECTORY, RELEASES } from './partner-bridge/partner-bridge.handler.js';
import { ReleaseStore } from './partner-bridge/release.store.js';

/** AFIC's own tables in its holdings schema. */
export const AFIC_MIGRATIONS = [CreatePartnerRelease1765500000000];

/** What AFIC adds to a node app: its record of releases and the directory whose agreements it applies. */
export function aficProviders(directory: Directory): NonNullable<DynamicModule['providers']> {
  return [
    { provide: AFIC_DIRECTORY, useValue: directory },
    {
      provide: RELEASES,
      useFactory: (holdings: HoldingsStore) => new ReleaseStore(holdings),
      inject: [HOLDINGS],
    },
  ];
}
