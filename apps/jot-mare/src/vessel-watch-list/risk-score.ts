import { VesselStatus } from '#contracts';
import { nearDepartureArea } from './departure-areas.js';

/** What one item says about a vessel: JOT MARE's evidence, kept per item so that a recall takes it back. */
export interface VesselEvidence {
  itemId: string;
  reporter: string;
  /** A vessel report, or a route report or debriefing that names the vessel (an incident). */
  source: 'vessel-report' | 'route-report' | 'debriefing';
  status?: VesselStatus;
  flag?: string;
  position?: { latitude: number; longitude: number; observedAtMs?: number };
}

/** One criterion that fired, as the alert states it. */
export interface FiredCriterion {
  name: string;
  points: number;
  evidence: string;
}

export interface RiskScore {
  score: number;
  fired: FiredCriterion[];
}

export interface RiskSettings {
  /** Flags of states whose registries smugglers have used for their ships (ISO 3166-1 alpha-2). */
  flagsOfConcern: readonly string[];
  /** A sighting near a departure area counts for this long, in days. */
  sightingDays: number;
}

/**
 * Flags under which ships bought for smuggling by sea sailed: Sierra Leone (Ezadeen, 2015), Moldova (Blue Sky
 * M, 2014), and registries that rarely inspect: Togo, Comoros, Palau, Mongolia, Cambodia, Tanzania.
 */
export const DEFAULT_RISK_SETTINGS: RiskSettings = {
  flagsOfConcern: ['SL', 'MD', 'TG', 'KM', 'PW', 'MN', 'KH', 'TZ'],
  sightingDays: 14,
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The named criteria of the risk score, each with its points and a sentence of what fired it. A vessel
 * that is decommissioned or due for scrapping, flies a flag of concern, was involved in incidents, was seen
 * near a departure area lately and is reported by several parties is the pattern of the cargo ships of
 * 2014–2015 (Ezadeen, Blue Sky M) and of today's mother ships.
 */
export const RISK_CRITERIA: ReadonlyArray<{
  name: string;
  description: string;
  check: (
    evidence: readonly VesselEvidence[],
    settings: RiskSettings,
    nowMs: number,
  ) => FiredCriterion | undefined;
}> = [
  {
    name: 'decommissioned',
    description: 'reported as decommissioned or scheduled for scrapping: 30 points',
    check: (ev) => {
      const hits = ev.filter(
        (e) => e.status === VesselStatus.DECOMMISSIONED || e.status === VesselStatus.SCHEDULED_FOR_SCRAPPING,
      );
      if (hits.length === 0) return undefined;
      const statuses = [...new Set(hits.map((e) => VesselStatus[e.status!]))].join(', ');
      return {
        name: 'decommissioned',
        points: 30,
        evidence: `status ${statuses} in ${plural(hits.length, 'report')}`,
      };
    },
  },
  {
    name: 'flag',
    description: 'flies a flag of concern: 15 points',
    check: (ev, settings) => {
      const flags = [
        ...new Set(ev.flatMap((e) => (e.flag && settings.flagsOfConcern.includes(e.flag) ? [e.flag] : []))),
      ];
      return flags.length
        ? {
            name: 'flag',
            points: 15,
            evidence: `flag ${flags.join(', ')}, a registry smugglers' ships have used`,
          }
        : undefined;
    },
  },
  {
    name: 'prior-incidents',
    description:
      'named in route reports or debriefings, or seized before: 20 points, 10 more for each further one, up to 40',
    check: (ev) => {
      const named = ev.filter((e) => e.source !== 'vessel-report');
      const seized = ev.filter((e) => e.status === VesselStatus.SEIZED);
      // By party, not by item: one party repeating itself does not make more incidents.
      const n = new Set([...named, ...seized].map((e) => e.reporter)).size;
      if (n === 0) return undefined;
      const parts = [
        ...(named.length
          ? [
              `named in ${named.length === 1 ? '1 route report or debriefing' : `${named.length} route reports or debriefings`}`,
            ]
          : []),
        ...(seized.length ? [`seized (${plural(seized.length, 'report')})`] : []),
      ];
      return { name: 'prior-incidents', points: Math.min(40, 20 + 10 * (n - 1)), evidence: parts.join('; ') };
    },
  },
  {
    name: 'near-departure-area',
    description: 'seen near a known departure area in the last days (sightingDays): 25 points',
    check: (ev, settings, nowMs) => {
      let best: { area: string; country: string; km: number; at?: number } | undefined;
      for (const e of ev) {
        const p = e.position;
        if (!p) continue;
        if (p.observedAtMs !== undefined && nowMs - p.observedAtMs > settings.sightingDays * 86_400_000)
          continue;
        const near = nearDepartureArea(p.latitude, p.longitude);
        if (near && (!best || near.km < best.km))
          best = { area: near.area.name, country: near.area.country, km: near.km, at: p.observedAtMs };
      }
      if (!best) return undefined;
      const when = best.at === undefined ? '' : ` on ${new Date(best.at).toISOString().slice(0, 10)}`;
      return {
        name: 'near-departure-area',
        points: 25,
        evidence: `seen ${Math.round(best.km)} km from ${best.area} (${best.country})${when}`,
      };
    },
  },
  {
    name: 'several-parties',
    description: 'reported by more than one party: 10 points for each further party, up to 30',
    check: (ev) => {
      const parties = [...new Set(ev.map((e) => e.reporter))].sort();
      return parties.length > 1
        ? {
            name: 'several-parties',
            points: Math.min(30, 10 * (parties.length - 1)),
            evidence: `reported by ${parties.join(', ')}`,
          }
        : undefined;
    },
  },
];

/** The vessel's risk score from all the evidence JOT MARE holds on it: the sum of the criteria that fired. */
export function riskScore(
  evidence: readonly VesselEvidence[],
  nowMs: number,
  settings: RiskSettings = DEFAULT_RISK_SETTINGS,
): RiskScore {
  const fired = RISK_CRITERIA.flatMap((c) => c.check(evidence, settings, nowMs) ?? []);
  return { score: fired.reduce((sum, c) => sum + c.points, 0), fired };
}
