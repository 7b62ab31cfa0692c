import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  AlertLevel,
  EnvelopeSchema,
  HandlingCode,
  nameBasedId,
  Purpose,
  ReleasabilityScope,
  ReleasabilitySchema,
  RiskCriterionSchema,
  SmugglingRoute,
  Tlp,
  VesselAlertSchema,
  type Envelope,
} from '#contracts';
import { riskScore, type RiskScore, type RiskSettings } from './risk-score.js';
import type { StoredEvidence, WatchedVessel } from './watch-list.store.js';

/** What JOT MARE's alerts are for, as every alert states it. */
export const ALERT_PURPOSE =
  'Prevention of smuggling by sea and of loss of life at sea: a suspect vessel crossed the risk threshold of the watch-list';

/** The most related reports an alert names (the contract's limit). */
const MAX_RELATED = 500;

/**
 * The purposes an alert may serve, widest first. An alert rests only on evidence whose item serves every
 * purpose the alert states, so no report is put by way of an alert to a use its provider did not allow.
 */
export const ALERT_PURPOSE_SETS: readonly (readonly Purpose[])[] = [
  [Purpose.CRIMINAL_INVESTIGATION, Purpose.BORDER_MANAGEMENT],
  [Purpose.BORDER_MANAGEMENT],
  [Purpose.CRIMINAL_INVESTIGATION],
];

/** What an alert on a vessel rests on: the purposes it serves, the evidence that serves them all, its score. */
export interface AlertBasis {
  purposes: readonly Purpose[];
  evidence: StoredEvidence[];
  score: RiskScore;
}

/**
 * The widest purposes an alert on the vessel can serve with a score at the threshold, counting only the
 * evidence that serves all of them; undefined when no such alert reaches the threshold. With every report
 * serving both (a vessel report's default), it rests on all the evidence.
 */
export function alertBasis(
  evidence: readonly StoredEvidence[],
  threshold: number,
  risk: RiskSettings,
  nowMs: number,
): AlertBasis | undefined {
  for (const purposes of ALERT_PURPOSE_SETS) {
    const serving = evidence.filter((e) => purposes.every((p) => e.purposes.includes(p)));
    if (serving.length === 0) continue;
    const score = riskScore(serving, nowMs, risk);
    if (score.score >= threshold) return { purposes, evidence: serving, score };
  }
  return undefined;
}

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
 * router keeps it from anyone who may not see them, and serves no purpose one of them does not. Its id is derived with the node's secret from the vessel
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
  /** What it serves ({@link alertBasis}). */
  purposes: readonly Purpose[];
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
    purposes: [...opts.purposes],
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
