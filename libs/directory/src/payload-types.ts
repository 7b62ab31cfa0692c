import { INTEL_TYPES, PUBLISHABLE_TYPES, type PayloadType } from '#contracts';
import type { PartyKind } from './party.js';

/** What each kind may publish unless its entry says otherwise (DESIGN §2); EU agencies must say. */
export const DEFAULT_MAY_PUBLISH: Record<PartyKind, readonly PayloadType[] | undefined> = {
  'contact-point': INTEL_TYPES,
  'jot-mare': PUBLISHABLE_TYPES,
  afic: [...INTEL_TYPES, 'analysisProduct'],
  'afic-partner': ['routeReport', 'modusOperandiReport', 'debriefingReport'],
  'liaison-officer': [
    'routeReport',
    'modusOperandiReport',
    'debriefingReport',
    'documentFraudReport',
    'internetContentReferral',
  ],
  'eu-agency': undefined,
  // Only blind answers and query notices, which are control messages: no intelligence, no products.
  'matching-service': [],
};
