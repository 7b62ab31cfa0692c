import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  AnalysisProductKind,
  AnalysisProductSchema,
  EnvelopeSchema,
  HandlingCode,
  nameBasedId,
  Purpose,
  ReleasabilitySchema,
  ReleasabilityScope,
  ROUTE_NAMES,
  sha256Hex,
  SmugglingRoute,
  Tlp,
  VesselStatus,
  type Envelope,
} from '#contracts';
import { nearDepartureArea } from '../vessel-watch-list/departure-areas.js';
import { DEFAULT_RISK_SETTINGS, type RiskSettings } from '../vessel-watch-list/risk-score.js';

/** One evidence row as the picture counts it: no vessel identity leaves this function. */
export interface PictureEvidence {
  vesselKey: string;
  reporter: string;
  status?: VesselStatus;
  flag?: string;
  position?: { latitude: number; longitude: number };
  recordedAtMs: number;
}

/** The aggregated figures of one route over one period: counts only, no vessel, person or party named. */
export interface MaritimeFigures {
  route: string;
  periodStart: string;
  periodEnd: string;
  vesselsWatched: number;
  decommissionedOrScrapping: number;
  seized: number;
  flagsOfConcern: number;
  reportsInPeriod: number;
  reportingParties: number;
  sightingsNearDepartureAreas: Record<string, number>;
  vesselsAlerted: number;
}

/** The sea routes a maritime picture is made for. */
export const SEA_ROUTES: readonly SmugglingRoute[] = [
  SmugglingRoute.CENTRAL_MEDITERRANEAN,
  SmugglingRoute.EASTERN_MEDITERRANEAN,
  SmugglingRoute.WESTERN_MEDITERRANEAN,
  SmugglingRoute.WESTERN_AFRICAN_ATLANTIC,
  SmugglingRoute.BLACK_SEA,
  SmugglingRoute.CIRCULAR_ALBANIA_GREECE,
];

/**
 * The figures of one route: what the watch-list holds on vessels with evidence on that route (as of the end
 * of the period), and what was reported during it. Vessels are counted, never named.
 */
export function maritimeFigures(
  route: SmugglingRoute,
  evidence: readonly PictureEvidence[],
  alertedVessels: ReadonlySet<string>,
  period: { startMs: number; endMs: number },
  settings: RiskSettings = DEFAULT_RISK_SETTINGS,
): MaritimeFigures {
  const held = evidence.filter((e) => e.recordedAtMs < period.endMs);
  const inPeriod = held.filter((e) => e.recordedAtMs >= period.startMs);
  const byVessel = new Map<string, PictureEvidence[]>();
  for (const e of held) byVessel.set(e.vesselKey, [...(byVessel.get(e.vesselKey) ?? []), e]);
  const vessels = [...byVessel.values()];
  const some = (pick: (e: PictureEvidence) => boolean) => vessels.filter((ev) => ev.some(pick)).length;
  const sightings: Record<string, number> = {};
  for (const e of inPeriod) {
    const near = e.position && nearDepartureArea(e.position.latitude, e.position.longitude);
    if (near) sightings[near.area.name] = (sightings[near.area.name] ?? 0) + 1;
  }
  return {
    route: ROUTE_NAMES[route],
    periodStart: new Date(period.startMs).toISOString(),
    periodEnd: new Date(period.endMs).toISOString(),
    vesselsWatched: vessels.length,
    decommissionedOrScrapping: some(
      (e) => e.status === VesselStatus.DECOMMISSIONED || e.status === VesselStatus.SCHEDULED_FOR_SCRAPPING,
    ),
    seized: some((e) => e.status === VesselStatus.SEIZED),
    flagsOfConcern: some((e) => e.flag !== undefined && settings.flagsOfConcern.includes(e.flag)),
    reportsInPeriod: inPeriod.length,
    reportingParties: new Set(inPeriod.map((e) => e.reporter)).size,
    sightingsNearDepartureAreas: sightings,
    vesselsAlerted: [...byVessel.keys()].filter((k) => alertedVessels.has(k)).length,
  };
}

/** The figures as one paragraph a reader (and Eurostat) can take in. */
export function pictureSummary(f: MaritimeFigures): string {
  const sightings = Object.entries(f.sightingsNearDepartureAreas)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([area, n]) => `${area} ${n}`)
    .join(', ');
  return (
    `${f.route}, ${f.periodStart.slice(0, 10)} to ${f.periodEnd.slice(0, 10)}: ${f.vesselsWatched} vessels on the ` +
    `watch-list (${f.decommissionedOrScrapping} decommissioned or due for scrapping, ${f.seized} seized, ` +
    `${f.flagsOfConcern} under flags of concern), ${f.vesselsAlerted} alerted; ${f.reportsInPeriod} reports from ` +
    `${f.reportingParties} parties in the period; sightings near departure areas: ${sightings || 'none'}.`
  );
}

/**
 * The maritime picture of one route and period as an analysis product: statistics, aggregated, without
 * personal data, so Eurostat may receive it. The full figures are the document whose SHA-256 it carries.
 * Its id is derived with the node's secret from the route and period: issued again, it is the same product.
 */
export function maritimePictureFor(opts: {
  node: string;
  idKey: string;
  route: SmugglingRoute;
  figures: MaritimeFigures;
  recipients: string[];
  nowMs: number;
}): Envelope {
  const { node, figures } = opts;
  return create(EnvelopeSchema, {
    id: nameBasedId(opts.idKey, node, 'maritime-picture', String(opts.route), figures.periodStart),
    sender: node,
    author: `${node}.maritime-picture`,
    createdAt: timestampFromMs(opts.nowMs),
    recipients: opts.recipients,
    route: opts.route,
    handlingCode: HandlingCode.H0,
    tlp: Tlp.GREEN,
    releasability: create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }),
    containsPersonalData: false,
    purpose: 'Periodic maritime picture of a smuggling route: aggregated statistics without personal data',
    // Drawn only from items that serve risk analysis, it serves that alone.
    purposes: [Purpose.RISK_ANALYSIS],
    payload: {
      case: 'analysisProduct',
      value: create(AnalysisProductSchema, {
        kind: AnalysisProductKind.STATISTICS,
        title: `Maritime picture: ${figures.route}, ${figures.periodStart.slice(0, 10)} to ${figures.periodEnd.slice(0, 10)}`,
        summary: pictureSummary(figures),
        aggregated: true,
        documentSha256: sha256Hex(new TextEncoder().encode(JSON.stringify(figures))),
      }),
    },
  });
}
