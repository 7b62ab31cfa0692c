import { SmugglingRoute } from './gen/msx/v1/common_pb.js';
import { PAYLOAD_KINDS, PAYLOAD_TYPES } from './payload-kinds.js';

/** The route token of topics (`intel.<type>.<route>`), for each smuggling route. */
export const ROUTE_TOKENS: Readonly<Record<SmugglingRoute, string>> = {
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

/** How products and summaries name each route to a reader. */
export const ROUTE_NAMES: Readonly<Record<SmugglingRoute, string>> = {
  [SmugglingRoute.UNSPECIFIED]: 'Unspecified route',
  [SmugglingRoute.CENTRAL_MEDITERRANEAN]: 'Central Mediterranean',
  [SmugglingRoute.EASTERN_MEDITERRANEAN]: 'Eastern Mediterranean',
  [SmugglingRoute.WESTERN_MEDITERRANEAN]: 'Western Mediterranean',
  [SmugglingRoute.WESTERN_BALKANS]: 'Western Balkans',
  [SmugglingRoute.EASTERN_LAND_BORDER]: 'Eastern land border',
  [SmugglingRoute.WESTERN_AFRICAN_ATLANTIC]: 'Western African / Atlantic',
  [SmugglingRoute.BLACK_SEA]: 'Black Sea',
  [SmugglingRoute.CIRCULAR_ALBANIA_GREECE]: 'Circular Albania–Greece',
  [SmugglingRoute.AIR]: 'Air',
  [SmugglingRoute.OTHER]: 'Other routes',
};

/** The type tokens of topics: one per type the table of payload kinds publishes on a topic. */
export const TYPE_TOKENS: readonly string[] = PAYLOAD_TYPES.flatMap((t) => {
  const topic: string | null = PAYLOAD_KINDS[t].topic;
  return topic === null ? [] : [topic];
});
