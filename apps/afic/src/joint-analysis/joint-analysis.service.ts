import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  encodeEnvelope,
  HandlingCode,
  Purpose,
  ROUTE_TOKENS,
  SmugglingRoute,
  type UseOfItems,
} from '#contracts';
import { isThirdCountryParty, type Directory } from '#directory';
import { publishDurably, Subjects, type Bus } from '#messaging';
import { NODE_ID, purposeWithheld, type InboxItem, type NodeOperation } from '#node-app';
import { BUS, lastCompletePeriod, PeriodicDuty } from '#runtime';
import { AFIC_DIRECTORY } from '../partner-bridge/partner-bridge.handler.js';
import { jointAnalysisFor, jointFigures, observationOf, type RouteObservation } from './joint-analysis.js';
import type { ObservationStore } from './observation.store.js';

export const OBSERVATIONS = Symbol('MSX_AFIC_OBSERVATIONS');
export const JOINT_ANALYSIS_EVERY_MS = Symbol('MSX_JOINT_ANALYSIS_EVERY_MS');

/** The entry of the erasure account for an item's observation in the joint analysis. */
export const OBSERVATION_ENTRY = 'route-observation';

/** What the joint analysis is for: risk analysis shared with the partners. Other items add nothing to it. */
export const JOINT_ANALYSIS_USE: UseOfItems = {
  name: 'joint-analysis',
  serves: [Purpose.RISK_ANALYSIS],
};

/** An AFIC partner a route's joint analysis goes to, with what its agreements in force cover. */
export interface AnalysisPartner {
  id: string;
  country: string;
  handlingCodes: ReadonlySet<HandlingCode>;
}

/**
 * The partners a route's joint analysis goes to: the AFIC partners subscribed to its route reports or
 * debriefings with an agreement in force that covers H0 (what the analysis is marked).
 */
export function partnersOf(directory: Directory, route: SmugglingRoute, nowMs: number): AnalysisPartner[] {
  const day = new Date(nowMs).toISOString().slice(0, 10);
  const token = ROUTE_TOKENS[route];
  const partners = new Map<string, AnalysisPartner>();
  for (const topic of [`intel.route.${token}`, `intel.debriefing.${token}`])
    for (const party of directory.subscribersOf(topic)) {
      if (!isThirdCountryParty(party)) continue;
      const codes = new Set(
        directory
          .agreementsFor(party.country, day)
          .flatMap((a) => a.handlingCodes.map((c) => HandlingCode[c])),
      );
      if (codes.has(HandlingCode.H0))
        partners.set(party.id, { id: party.id, country: party.country, handlingCodes: codes });
    }
  return [...partners.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * What of the observations may go into one partner's figures: what its originator released to the partner's
 * country, under a handling code its agreement covers, and not the partner's own reports (which would let it
 * work out the others by subtraction).
 */
export function observationsFor(
  partner: AnalysisPartner,
  observations: readonly RouteObservation[],
): RouteObservation[] {
  return observations.filter(
    (o) =>
      o.reporter !== partner.id &&
      o.releasedTo.includes(partner.country) &&
      partner.handlingCodes.has(o.handlingCode),
  );
}

/**
 * AFIC's periodic joint analysis for the partner countries (`MSX_JOINT_ANALYSIS_EVERY_MS`, four weeks by
 * default): per route and partner, from the route reports and debriefings AFIC received in the period that the
 * partner's country could receive, the countries of departure and transit, the means of transport, the prices
 * and the counts — aggregated, without personal data, and within the disclosure thresholds of `jointFigures`. It keeps what each item adds (and takes it back when the
 * item is recalled), looks at least once a minute, and issues no period twice, also after a restart.
 */
@Injectable()
export class JointAnalysisService extends PeriodicDuty {
  private readonly logger = new Logger('JointAnalysis');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(NODE_ID) private readonly node: string,
    @Inject(OBSERVATIONS) private readonly store: ObservationStore,
    @Inject(AFIC_DIRECTORY) private readonly directory: Directory,
    @Inject(JOINT_ANALYSIS_EVERY_MS) private readonly everyMs: number,
  ) {
    // At least once a minute, and ten times a period, so a period is issued soon after it ends.
    super(Math.min(Math.ceil(everyMs / 10), 60_000));
  }

  protected async runDue(): Promise<void> {
    await this.issueDue();
  }

  protected dutyFailed(err: Error): void {
    this.logger.warn(`joint analysis not issued: ${err.message}`);
  }

  /** Keeps what a route report or debriefing of another party adds to the analysis. */
  async handle({ envelope, itemId }: InboxItem): Promise<NodeOperation[]> {
    const observation =
      envelope.sender === this.node ? undefined : observationOf(envelope, itemId, Date.now());
    if (!observation) return [];
    const outOfPurpose = purposeWithheld(envelope, JOINT_ANALYSIS_USE);
    if (outOfPurpose) return [outOfPurpose];
    await this.store.record(observation);
    return [];
  }

  async beginErasure(itemId: string): Promise<string[]> {
    return (await this.store.has(itemId)) ? [`${OBSERVATION_ENTRY}:joint-analysis`] : [];
  }

  erase(itemId: string): Promise<void> {
    return this.store.removeItem(itemId);
  }

  /**
   * Issues the analysis of the last complete period for every route observed in it and every partner of the
   * route that has none yet and whose figures clear the disclosure thresholds.
   * @returns the ids issued
   */
  async issueDue(nowMs = Date.now()): Promise<string[]> {
    const period = lastCompletePeriod(nowMs, this.everyMs);
    const start = new Date(period.startMs);
    const issued: string[] = [];
    for (const route of await this.store.routesIn(period)) {
      const observations = await this.store.observations(route, period);
      for (const partner of partnersOf(this.directory, route, nowMs)) {
        if (this.periodic.isStopped) return issued;
        const figures = jointFigures(route, observationsFor(partner, observations), period);
        if (!figures) continue;
        const analysis = jointAnalysisFor({
          node: this.node,
          idKey: this.bus.idKey,
          route,
          figures,
          partner: partner.id,
          country: partner.country,
          nowMs: Date.now(),
        });
        const sent = await this.store.issueOnce(
          { route, periodStart: start, partner: partner.id, messageId: analysis.id },
          () =>
            publishDurably(this.bus.js, Subjects.submit(this.node), encodeEnvelope(analysis), {
              msgID: analysis.id,
            }).then(() => undefined),
        );
        if (!sent) continue;
        issued.push(analysis.id);
        this.logger.log(
          `joint analysis ${SmugglingRoute[route]} ${figures.periodStart.slice(0, 10)} to ${partner.id}: ${analysis.id}`,
        );
      }
    }
    return issued;
  }
}
