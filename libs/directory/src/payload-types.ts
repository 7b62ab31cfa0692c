import type { PayloadType } from '#contracts';
import type { PartyKind } from './party.js';

/** The seven intelligence payloads. */
export const INTEL_TYPES: readonly PayloadType[] = [
  'routeReport',
  'modusOperandiReport',
  'financialLead',
  'suspectVesselReport',
  'documentFraudReport',
  'internetContentReferral',
  'debriefingReport',
];

/** What a directory entry's `mayPublish` may list: intelligence and the hubs' products. */
export const PUBLISHABLE_TYPES: readonly PayloadType[] = [...INTEL_TYPES, 'vesselAlert', 'analysisProduct'];

/** Control messages every party may send (replies, consent, recall, erasure, cross-checks). */
export const CONTROL_TYPES: readonly PayloadType[] = [
  'acknowledgement',
  'shareRequest',
  'shareDecision',
  'recall',
  'erasureReceipt',
  'crossCheckRequest',
  'hitNotice',
];

/** Only the router issues delivery receipts. */
export const ROUTER_ONLY_TYPES: readonly PayloadType[] = ['deliveryReceipt'];

/** What each kind may publish unless its entry says otherwise (DESIGN §2); EU agencies must say. */
export const DEFAULT_MAY_PUBLISH: Record<PartyKind, readonly PayloadType[] | undefined> = {
  'contact-point': INTEL_TYPES,
  'jot-mare': [...INTEL_TYPES, 'vesselAlert', 'analysisProduct'],
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
};
