import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  AlertLevel,
  EnvelopeSchema,
  HandlingCode,
  nameBasedId,
  ReleasabilityScope,
  ReleasabilitySchema,
  RiskCriterionSchema,
  SmugglingRoute,
  Tlp,
  VesselAlertSchema,
  type Envelope,
} from '#contracts';
import type { RiskScore } from './risk-score.js';
import type { StoredEvidence, WatchedVessel } from './watch-list.store.js';

/** What JOT MARE's alerts are for, as every alert states it. */
export const ALERT_PURPOSE =
  'Prevention of smuggling by sea and of loss of life at sea: a suspect vessel crossed the risk threshold of the watch-list';

/** The most related reports an alert names (the contract's limit). */
const MAX_RELATED = 500;

/**
 * The level of an alert: imminent when the vessel was seen near a departure area within two days, high when
 * its score is 20 or more above the threshold, watch otherwise.
 */
export function alertLevel(
  score: RiskScore,
  threshold: number,
  evidence: readonly StoredEvidence[],
  nowMs: number,
): AlertLevel {
  const recentSighting = evidence.some(
    (e) => e.position?.observedAtMs !== undefined && nowMs - e.position.observedAtMs <= 2 * 86_400_000,
  );
  if (recentSighting && score.fired.some((c) => c.name === 'near-departure-area')) return AlertLevel.IMMINENT;
  return score.score >= threshold + 20 ? AlertLevel.HIGH : AlertLevel.WATCH;
}

/** The route most of the evidence concerns (the latest one on a tie), or unspecified. */
function mainRoute(evidence: readonly StoredEvidence[]): SmugglingRoute {
  const counts = new Map<SmugglingRoute, number>();
  for (const e of evidence) if (e.route) counts.set(e.route, (counts.get(e.route) ?? 0) + 1);
  let best = SmugglingRoute.UNSPECIFIED;
  for (const [route, n] of counts) if (n >= (counts.get(best) ?? 0)) best = route;
  return best;
}

/**
 * JOT MARE's vessel alert: the vessel, the level, the score with each criterion that fired, the reports it
 * rests on. It is marked no weaker than the strictest report it rests on (handling code and TLP), so the
 * router keeps it from anyone who may not see them. Its id is derived with the node's secret from the vessel
 * and level: raised again after a failure, it is the same alert.
 */
export function vesselAlertFor(opts: {
  node: string;
  idKey: string;
  vessel: WatchedVessel;
  evidence: readonly StoredEvidence[];
  score: RiskScore;
  threshold: number;
  level: AlertLevel;
  recipients: string[];
  nowMs: number;
}): Envelope {
  const { node, vessel, evidence, score, level } = opts;
  const handlingCode = evidence.reduce(
    (h, e) => Math.max(h, e.handlingCode),
    HandlingCode.H0,
  ) as HandlingCode;
  const tlp = evidence.reduce((t, e) => Math.max(t, e.tlp), Tlp.CLEAR) as Tlp;
  const reason =
    `Risk score ${score.score} (threshold ${opts.threshold}): ` +
    score.fired.map((c) => `${c.name} +${c.points} (${c.evidence})`).join('; ');
  return create(EnvelopeSchema, {
    id: nameBasedId(opts.idKey, node, vessel.key, 'vessel-alert', AlertLevel[level]),
    sender: node,
    author: `${node}.watch-list`,
    createdAt: timestampFromMs(opts.nowMs),
    recipients: opts.recipients,
    route: mainRoute(evidence),
    handlingCode,
    tlp,
    releasability: create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }),
    containsPersonalData: false,
    purpose: ALERT_PURPOSE,
    payload: {
      case: 'vesselAlert',
      value: create(VesselAlertSchema, {
        imoNumber: vessel.imoNumber ?? '',
        mmsi: vessel.mmsi ?? '',
        vesselName: vessel.name ?? '',
        level,
        reason: reason.slice(0, 2_000),
        relatedMessageIds: [...new Set(evidence.map((e) => e.itemId))].slice(0, MAX_RELATED),
        riskScore: score.score,
        criteria: score.fired.map((c) => create(RiskCriterionSchema, c)),
      }),
    },
  });
}
