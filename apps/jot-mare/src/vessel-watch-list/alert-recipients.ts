import { SmugglingRoute } from '#contracts';
import type { Directory } from '#directory';

/**
 * The member states whose coasts a sea route reaches, whose coast guards must know of a vessel on it. Land
 * and air routes have none.
 */
export const COASTAL_STATES: Readonly<Record<SmugglingRoute, readonly string[]>> = {
  [SmugglingRoute.UNSPECIFIED]: [],
  [SmugglingRoute.CENTRAL_MEDITERRANEAN]: ['IT', 'MT'],
  [SmugglingRoute.EASTERN_MEDITERRANEAN]: ['GR', 'CY', 'IT'],
  [SmugglingRoute.WESTERN_MEDITERRANEAN]: ['ES'],
  [SmugglingRoute.WESTERN_AFRICAN_ATLANTIC]: ['ES', 'PT'],
  [SmugglingRoute.BLACK_SEA]: ['BG', 'RO'],
  [SmugglingRoute.CIRCULAR_ALBANIA_GREECE]: ['GR', 'IT'],
  [SmugglingRoute.WESTERN_BALKANS]: [],
  [SmugglingRoute.EASTERN_LAND_BORDER]: [],
  [SmugglingRoute.AIR]: [],
  [SmugglingRoute.OTHER]: [],
};

/**
 * Who a vessel alert goes to: the contact points of the coastal member states on the vessel's routes, and
 * Frontex; no one else. Parties not in the directory are left out.
 */
export function alertRecipients(
  directory: Directory,
  routes: Iterable<SmugglingRoute>,
  frontex: string,
): string[] {
  const states = new Set([...routes].flatMap((r) => COASTAL_STATES[r] ?? []));
  const contactPoints = directory
    .parties()
    .filter((p) => p.kind === 'contact-point' && states.has(p.country))
    .map((p) => p.id)
    .sort();
  return [...contactPoints, ...(directory.party(frontex) ? [frontex] : [])];
}
