import { SmugglingRoute, type Envelope, type PayloadType } from '#contracts';

/** Topic token of each intelligence type: topics are `intel.<type>.<route>`. */
const TYPE_TOKENS: Partial<Record<PayloadType, string>> = {
  routeReport: 'route',
  modusOperandiReport: 'modus-operandi',
  financialLead: 'financial',
  suspectVesselReport: 'vessel',
  documentFraudReport: 'document-fraud',
  internetContentReferral: 'internet-content',
  debriefingReport: 'debriefing',
};

const ROUTE_TOKENS: Record<SmugglingRoute, string> = {
  [SmugglingRoute.UNSPECIFIED]: 'unspecified',
  [SmugglingRoute.CENTRAL_MEDITERRANEAN]: 'central-med',
  [SmugglingRoute.EASTERN_MEDITERRANEAN]: 'eastern-med',
  [SmugglingRoute.WESTERN_MEDITERRANEAN]: 'western-med',
  [SmugglingRoute.WESTERN_BALKANS]: 'western-balkans',
  [SmugglingRoute.EASTERN_LAND_BORDER]: 'eastern-land-border',
  [SmugglingRoute.WESTERN_AFRICAN_ATLANTIC]: 'western-african-atlantic',
  [SmugglingRoute.BLACK_SEA]: 'black-sea',
  [SmugglingRoute.CIRCULAR_ALBANIA_GREECE]: 'circular-albania-greece',
  [SmugglingRoute.AIR]: 'air',
  [SmugglingRoute.OTHER]: 'other',
};

/**
 * The topics an envelope is published under, derived from its type and route (`intel.vessel.central-med`).
 * Control messages have none: they reach their named recipients only.
 */
export function topicsOf(envelope: Envelope): string[] {
  const type = envelope.payload.case ? TYPE_TOKENS[envelope.payload.case] : undefined;
  if (!type) return [];
  return [`intel.${type}.${ROUTE_TOKENS[envelope.route]}`];
}
