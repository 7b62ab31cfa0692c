import type { DynamicModule } from '@nestjs/common';
import { loadConfig, str } from '#config';
import { HOLDINGS, type HoldingsStore } from '#node-app';
import { DispatchQueue } from './dispatch-nationally/dispatch-queue.js';
import { CreateNationalDispatch1765100000000 } from './dispatch-nationally/migrations/1765100000000-create-national-dispatch.js';
import {
  DEFAULT_RETRY,
  loadNationalAuthorities,
  type NationalAuthorities,
} from './dispatch-nationally/national-authorities.js';
import {
  DISPATCH_QUEUE,
  NATIONAL_AUTHORITIES,
  NATIONAL_TRANSPORT,
  NationalDispatcher,
} from './dispatch-nationally/national-dispatcher.js';
import { AuthorityTransport } from './dispatch-nationally/national-transport.js';

/** The contact point's own tables in its holdings schema. */
export const CONTACT_POINT_MIGRATIONS = [CreateNationalDispatch1765100000000];

/** The national authorities named by `MSX_DISPATCH_FILE`; none (and a warning at start) when it is not set. */
export function nationalAuthoritiesFromConfig(env?: NodeJS.ProcessEnv): NationalAuthorities {
  const { MSX_DISPATCH_FILE } = loadConfig({ MSX_DISPATCH_FILE: str('') }, env);
  return MSX_DISPATCH_FILE
    ? loadNationalAuthorities(MSX_DISPATCH_FILE)
    : { authorities: [], retry: DEFAULT_RETRY };
}

/** What a contact point adds to a node app: its national authorities, dispatch queue, transport and dispatcher. */
export function contactPointProviders(
  nodeId: string,
  authorities: NationalAuthorities,
): NonNullable<DynamicModule['providers']> {
  return [
    { provide: NATIONAL_AUTHORITIES, useValue: authorities },
    {
      provide: DISPATCH_QUEUE,
      useFactory: (holdings: HoldingsStore) => new DispatchQueue(holdings),
      inject: [HOLDINGS],
    },
    { provide: NATIONAL_TRANSPORT, useFactory: () => new AuthorityTransport(`msx-${nodeId}-dispatch`) },
    NationalDispatcher,
  ];
}
