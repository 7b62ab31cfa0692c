import { ALLOWED, isForward, RECIPIENT_UNKNOWN, SHARING_RULES, SUBMISSION_RULES } from '#policy';
import type { RoutedOutcome, ServiceMetrics } from '#runtime';
import type { RoutingPlan, Submission } from './route-message.handler.js';

/** The rule codes a routing decision can carry: the only values the `rule` label takes. */
const RULE_CODES: ReadonlySet<string> = new Set([
  ALLOWED,
  RECIPIENT_UNKNOWN,
  ...SHARING_RULES.map((r) => r.code),
  ...SUBMISSION_RULES.map((r) => r.code),
]);

/** The `rule` label of a code outside {@link RULE_CODES}: never expected, and never the code's own text. */
export const UNLISTED_RULE = 'OTHER';

/** One series of `msx_routed_total` and how much a routing adds to it. */
export interface RoutedCount {
  outcome: RoutedOutcome;
  rule: string;
  count: number;
}

/**
 * What one routing adds to `msx_routed_total`: one per audit row of an outcome the router writes, so the
 * counts agree with the trail: per candidate recipient `delivered` (`forwarded` for a forwarded copy) or
 * `withheld` under its rule, and `rejected` once when a submission rule refused the whole submission.
 */
export function routedCounts(submission: Pick<Submission, 'envelope'>, plan: RoutingPlan): RoutedCount[] {
  const forward = isForward(submission.envelope);
  const counts = new Map<string, RoutedCount>();
  const add = (outcome: RoutedOutcome, code: string) => {
    const rule = RULE_CODES.has(code) ? code : UNLISTED_RULE;
    const key = `${outcome} ${rule}`;
    const found = counts.get(key);
    if (found) found.count++;
    else counts.set(key, { outcome, rule, count: 1 });
  };
  if (plan.refusal) add('rejected', plan.refusal.rule);
  for (const d of plan.decisions)
    add(d.outcome === 'withheld' ? 'withheld' : forward ? 'forwarded' : 'delivered', d.rule);
  return [...counts.values()];
}

/** The router's metrics: what it routed, by outcome and rule, and how long its deliveries took. */
export class RoutingMetrics {
  constructor(private readonly metrics: ServiceMetrics) {
    // Declared at start, so that /metrics shows them before the first submission.
    metrics.routedMessages();
    metrics.deliveryLatency();
  }

  /** Counts a submission routed (its copies confirmed, the ledger written) and observes its delivery latency. */
  routed(submission: Submission, plan: RoutingPlan, nowMs = Date.now()): void {
    for (const { outcome, rule, count } of routedCounts(submission, plan))
      this.metrics.countRouted(outcome, rule, count);
    if (submission.submittedAtMs !== undefined && plan.deliveries.length > 0)
      this.metrics.observeDelivery('routed', submission.submittedAtMs, nowMs);
  }
}
