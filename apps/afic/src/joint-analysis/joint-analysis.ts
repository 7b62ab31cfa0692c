import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { needsOriginatorConsent } from '#policy';
import {
  AnalysisProductKind,
  AnalysisProductSchema,
  EnvelopeSchema,
  HandlingCode as Handling,
  nameBasedId,
  Purpose,
  ReleasabilitySchema,
  ReleasabilityScope,
  ROUTE_NAMES,
  sha256Hex,
  Tlp,
  TransportMode,
  type SmugglingRoute,
  type Envelope,
  type HandlingCode,
  type RouteSegment,
} from '#contracts';

/** What AFIC keeps of a route report or debriefing for its joint analysis: no place, person or party. */
export interface RouteObservation {
  itemId: string;
  reporter: string;
  route: SmugglingRoute;
  source: 'route-report' | 'debriefing';
  /** Countries of the journey in travel order, each once. */
  countries: string[];
  /** Means of transport of the legs, each once. */
  modes: string[];
  peopleCarried?: number;
  /** Price per person (route report) or paid (debriefing). */
  price?: { amount: number; currency: string };
  /** When AFIC received it: the period it counts in. */
  receivedAtMs: number;
  /** Its handling code: a partner's figures count only what its agreement covers. */
  handlingCode: HandlingCode;
  /** The third countries its originator released it to: a partner's figures count only what names its country. */
  releasedTo: string[];
}

function journey(segments: readonly RouteSegment[]): { countries: string[]; modes: string[] } {
  const countries: string[] = [];
  for (const s of segments)
    for (const c of [s.fromCountry, s.toCountry]) if (c && countries.at(-1) !== c) countries.push(c);
  const modes = [
    ...new Set(
      segments
        .filter((s) => s.mode !== TransportMode.UNSPECIFIED)
        .map((s) => TransportMode[s.mode].toLowerCase()),
    ),
  ];
  return { countries: [...new Set(countries)], modes };
}

const price = (m: { amount: string; currency: string } | undefined) =>
  m && m.amount && m.currency ? { amount: Number(m.amount), currency: m.currency } : undefined;

/**
 * What a route report or debriefing received at `receivedAtMs` adds to the joint analysis; undefined for other
 * items, for forwarded copies, and for intelligence that needs its originator's consent to be shared onward
 * (H2, H3, TLP AMBER or RED): figures drawn from it would pass it on to partners without that consent.
 */
export function observationOf(
  envelope: Envelope,
  itemId: string,
  receivedAtMs: number,
): RouteObservation | undefined {
  if (envelope.consentRef !== '' || needsOriginatorConsent(envelope.handlingCode, envelope.tlp))
    return undefined;
  const p = envelope.payload;
  const r = envelope.releasability;
  const base = {
    itemId,
    reporter: envelope.sender,
    route: envelope.route,
    receivedAtMs,
    handlingCode: envelope.handlingCode,
    releasedTo: r?.scope === ReleasabilityScope.THIRD_COUNTRIES ? [...r.thirdCountries].sort() : [],
  };
  if (p.case === 'routeReport') {
    const r = p.value;
    return {
      ...base,
      source: 'route-report',
      ...journey(r.segments),
      peopleCarried: r.peopleCarried || undefined,
      price: price(r.pricePerPerson),
    };
  }
  if (p.case === 'debriefingReport') {
    const d = p.value;
    return {
      ...base,
      source: 'debriefing',
      ...journey(d.routeTaken),
      price: price(d.pricePaid),
    };
  }
  return undefined;
}

/**
 * Statistical disclosure control: the fewest reports, and the fewest parties, a route's analysis rests on, and
 * the fewest reports behind any one figure in it. A smaller figure could single out one report, or let a
 * party that knows its own reports work out another's.
 */
export const MIN_REPORTS = 3;
export const MIN_PARTIES = 3;
export const MIN_CELL = 3;

/** Prices in one currency: how many reports gave one, and their median. */
export interface PriceFigures {
  reports: number;
  median: number;
}

/** The joint analysis of one route over one period for one partner: counts and prices only. */
export interface JointFigures {
  route: string;
  periodStart: string;
  periodEnd: string;
  routeReports: number;
  debriefings: number;
  reportingParties: number;
  /** People carried as the route reports give them; absent when fewer than MIN_CELL reports give a number. */
  peopleCarriedReported?: number;
  /** Countries of departure (first of each journey) and how many journeys began there. */
  departureCountries: Record<string, number>;
  /** Countries crossed between departure and arrival, and how many journeys crossed each. */
  transitCountries: Record<string, number>;
  modes: Record<string, number>;
  pricesPerPerson: Record<string, PriceFigures>;
  /** How many figures were left out because fewer than MIN_CELL reports gave them. */
  suppressed: number;
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The figures of one route from what AFIC received in the period, or undefined when they would rest on fewer
 * than {@link MIN_REPORTS} reports or {@link MIN_PARTIES} parties. A count or price that fewer than
 * {@link MIN_CELL} reports give is left out (and counted in `suppressed`); prices are given as a median only.
 */
export function jointFigures(
  route: SmugglingRoute,
  observations: readonly RouteObservation[],
  period: { startMs: number; endMs: number },
): JointFigures | undefined {
  const seen = observations.filter(
    (o) => o.route === route && o.receivedAtMs >= period.startMs && o.receivedAtMs < period.endMs,
  );
  const parties = new Set(seen.map((o) => o.reporter)).size;
  if (seen.length < MIN_REPORTS || parties < MIN_PARTIES) return undefined;
  let suppressed = 0;
  const cells = (keys: (o: RouteObservation) => string[]): Record<string, number> => {
    const counts = new Map<string, number>();
    for (const o of seen) for (const k of keys(o)) counts.set(k, (counts.get(k) ?? 0) + 1);
    const kept: Record<string, number> = {};
    for (const [k, n] of [...counts].sort((a, b) => a[0].localeCompare(b[0])))
      if (n >= MIN_CELL) kept[k] = n;
      else suppressed++;
    return kept;
  };
  const departureCountries = cells((o) => o.countries.slice(0, 1));
  const transitCountries = cells((o) => o.countries.slice(1, -1));
  const modes = cells((o) => o.modes);
  const prices = new Map<string, number[]>();
  for (const o of seen)
    if (o.price) prices.set(o.price.currency, [...(prices.get(o.price.currency) ?? []), o.price.amount]);
  const pricesPerPerson: Record<string, PriceFigures> = {};
  for (const [currency, amounts] of [...prices].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (amounts.length < MIN_CELL) {
      suppressed++;
      continue;
    }
    pricesPerPerson[currency] = {
      reports: amounts.length,
      median: median([...amounts].sort((a, b) => a - b)),
    };
  }
  const people = seen.filter((o) => o.peopleCarried !== undefined);
  if (people.length > 0 && people.length < MIN_CELL) suppressed++;
  return {
    route: ROUTE_NAMES[route],
    periodStart: new Date(period.startMs).toISOString(),
    periodEnd: new Date(period.endMs).toISOString(),
    routeReports: seen.filter((o) => o.source === 'route-report').length,
    debriefings: seen.filter((o) => o.source === 'debriefing').length,
    reportingParties: parties,
    ...(people.length >= MIN_CELL
      ? { peopleCarriedReported: people.reduce((n, o) => n + (o.peopleCarried ?? 0), 0) }
      : {}),
    departureCountries,
    transitCountries,
    modes,
    pricesPerPerson,
    suppressed,
  };
}

const ranked = (m: Record<string, number>) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none to report';

/** The figures as one paragraph. */
export function jointSummary(f: JointFigures): string {
  const prices = Object.entries(f.pricesPerPerson)
    .map(([c, p]) => `${c} median ${p.median} (${p.reports} reports)`)
    .join('; ');
  return (
    `${f.route}, ${f.periodStart.slice(0, 10)} to ${f.periodEnd.slice(0, 10)}: ${f.routeReports} route reports and ` +
    `${f.debriefings} debriefings from ${f.reportingParties} parties. Departures: ${ranked(f.departureCountries)}. ` +
    `Transit: ${ranked(f.transitCountries)}. Means of transport: ${ranked(f.modes)}. ` +
    `Price per person: ${prices || 'none to report'}.` +
    (f.peopleCarriedReported !== undefined
      ? ` People carried, as reported: ${f.peopleCarriedReported}.`
      : '') +
    (f.suppressed > 0 ? ` ${f.suppressed} figure(s) resting on fewer than ${MIN_CELL} reports left out.` : '')
  );
}

/** What AFIC's joint analyses are for, as each states it. */
export const JOINT_ANALYSIS_PURPOSE =
  'AFIC joint analysis for the partner countries: routes, prices and counts, aggregated, without personal data';

/**
 * The joint analysis of one route and period for one partner as an analysis product: aggregated, without
 * personal data, H0 and TLP GREEN, for that partner alone and released to its country. Its id is derived from
 * the route, period and partner: issued again, it is the same product.
 */
export function jointAnalysisFor(o: {
  node: string;
  idKey: string;
  route: SmugglingRoute;
  figures: JointFigures;
  partner: string;
  country: string;
  nowMs: number;
}): Envelope {
  const f = o.figures;
  return create(EnvelopeSchema, {
    id: nameBasedId(o.idKey, o.node, 'joint-analysis', String(o.route), f.periodStart, o.partner),
    sender: o.node,
    author: `${o.node}.joint-analysis`,
    createdAt: timestampFromMs(o.nowMs),
    recipients: [o.partner],
    namedRecipientsOnly: true,
    route: o.route,
    handlingCode: Handling.H0,
    tlp: Tlp.GREEN,
    releasability: create(ReleasabilitySchema, {
      scope: ReleasabilityScope.THIRD_COUNTRIES,
      thirdCountries: [o.country],
    }),
    containsPersonalData: false,
    purpose: JOINT_ANALYSIS_PURPOSE,
    // Drawn only from items that serve risk analysis, it serves that alone.
    purposes: [Purpose.RISK_ANALYSIS],
    payload: {
      case: 'analysisProduct',
      value: create(AnalysisProductSchema, {
        kind: AnalysisProductKind.RISK_ANALYSIS,
        title: `AFIC joint analysis: ${f.route}, ${f.periodStart.slice(0, 10)} to ${f.periodEnd.slice(0, 10)}`,
        summary: jointSummary(f).slice(0, 8_000),
        aggregated: true,
        documentSha256: sha256Hex(new TextEncoder().encode(JSON.stringify(f))),
      }),
    },
  });
}
