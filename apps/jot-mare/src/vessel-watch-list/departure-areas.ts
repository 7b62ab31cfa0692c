/** A stretch of coast smugglers' boats are known to leave from (Frontex and Europol risk analyses, 2015–2024). */
export interface DepartureArea {
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  latitude: number;
  longitude: number;
  /** How far out a vessel still counts as near it, in kilometres. */
  radiusKm: number;
}

export const DEPARTURE_AREAS: readonly DepartureArea[] = [
  { name: 'Zuwara', country: 'LY', latitude: 32.93, longitude: 12.08, radiusKm: 40 },
  { name: 'Sabratha', country: 'LY', latitude: 32.79, longitude: 12.48, radiusKm: 30 },
  { name: 'Garabulli', country: 'LY', latitude: 32.76, longitude: 13.72, radiusKm: 30 },
  { name: 'Tobruk', country: 'LY', latitude: 32.08, longitude: 23.96, radiusKm: 50 },
  { name: 'Sfax', country: 'TN', latitude: 34.74, longitude: 10.76, radiusKm: 40 },
  { name: 'Mersin', country: 'TR', latitude: 36.8, longitude: 34.63, radiusKm: 50 },
  { name: 'Izmir coast', country: 'TR', latitude: 38.32, longitude: 26.3, radiusKm: 60 },
  { name: 'Bodrum peninsula', country: 'TR', latitude: 37.03, longitude: 27.43, radiusKm: 30 },
  { name: 'Nador', country: 'MA', latitude: 35.17, longitude: -2.93, radiusKm: 30 },
  { name: 'Nouadhibou', country: 'MR', latitude: 20.93, longitude: -17.03, radiusKm: 60 },
  { name: 'Dakar', country: 'SN', latitude: 14.69, longitude: -17.44, radiusKm: 60 },
];

const EARTH_RADIUS_KM = 6_371;

/** Great-circle distance between two points, in kilometres. */
export function distanceKm(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const rad = Math.PI / 180;
  const dLat = (bLat - aLat) * rad;
  const dLon = (bLon - aLon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The nearest departure area a point lies within, with how far from it, or undefined. */
export function nearDepartureArea(
  latitude: number,
  longitude: number,
  areas: readonly DepartureArea[] = DEPARTURE_AREAS,
): { area: DepartureArea; km: number } | undefined {
  let best: { area: DepartureArea; km: number } | undefined;
  for (const area of areas) {
    const km = distanceKm(latitude, longitude, area.latitude, area.longitude);
    if (km <= area.radiusKm && (!best || km < best.km)) best = { area, km };
  }
  return best;
}
