import { describe, expect, it } from '@jest/globals';
import { envelopeFromJson, type Envelope } from '#contracts';
import type { Decision } from '#policy';
import { ServiceMetrics } from '#runtime';
import { asJson, validRouteReportEnvelope } from '#testing';
import type { RoutingPlan } from './route-message.handler.js';
import { routedCounts, RoutingMetrics, UNLISTED_RULE } from './routing-metrics.js';

const report = (consentRef = ''): Envelope =>
  envelopeFromJson(asJson(validRouteReportEnvelope(consentRef ? { consentRef } : {})));

const decision = (recipient: string, outcome: Decision['outcome'], rule: string): Decision => ({
  recipient,
  outcome,
  rule,
  reason: `${recipient} free text`,
});

/** A plan with only what the metrics read; the rest of a plan is beside the point here. */
const plan = (p: Pick<RoutingPlan, 'decisions'> & Partial<RoutingPlan>): RoutingPlan =>
  ({ deliveries: [], ...p }) as RoutingPlan;

describe('what a routing adds to msx_routed_total', () => {
  it('counts each candidate delivered or withheld under its rule, as the trail does', () => {
    const counts = routedCounts(
      { envelope: report() },
      plan({
        decisions: [
          decision('cp-it', 'delivered', 'POLICY.ALLOWED'),
          decision('cp-gr', 'delivered', 'POLICY.ALLOWED'),
          decision('afic', 'withheld', 'POLICY.THIRD_COUNTRY_NO_AGREEMENT'),
        ],
      }),
    );
    expect(counts).toEqual([
      { outcome: 'delivered', rule: 'POLICY.ALLOWED', count: 2 },
      { outcome: 'withheld', rule: 'POLICY.THIRD_COUNTRY_NO_AGREEMENT', count: 1 },
    ]);
  });

  it('counts a forwarded copy as forwarded', () => {
    const counts = routedCounts(
      { envelope: report('01976342-9f40-7d42-9f0a-00000000c0de') },
      plan({ decisions: [decision('cp-it', 'delivered', 'POLICY.ALLOWED')] }),
    );
    expect(counts).toEqual([{ outcome: 'forwarded', rule: 'POLICY.ALLOWED', count: 1 }]);
  });

  it('counts a refused submission once as rejected, and its candidates as withheld under the same rule', () => {
    const counts = routedCounts(
      { envelope: report() },
      plan({
        refusal: { rule: 'POLICY.ID_ALREADY_USED', reason: 'taken' },
        decisions: [decision('cp-it', 'withheld', 'POLICY.ID_ALREADY_USED')],
      }),
    );
    expect(counts).toEqual([
      { outcome: 'rejected', rule: 'POLICY.ID_ALREADY_USED', count: 1 },
      { outcome: 'withheld', rule: 'POLICY.ID_ALREADY_USED', count: 1 },
    ]);
  });

  it('never takes a rule label from text outside the rule codes', () => {
    const counts = routedCounts(
      { envelope: report() },
      plan({ decisions: [decision('cp-it', 'withheld', 'cp-it free text "}\n')] }),
    );
    expect(counts).toEqual([{ outcome: 'withheld', rule: UNLISTED_RULE, count: 1 }]);
  });
});

describe("the router's delivery latency", () => {
  const submission = (submittedAtMs?: number) => ({
    envelope: report(),
    bytes: new Uint8Array(),
    publisher: 'emlo-ne',
    submitSeq: 1,
    correlationId: '',
    submittedAtMs,
  });
  const delivered = plan({
    decisions: [decision('cp-it', 'delivered', 'POLICY.ALLOWED')],
    deliveries: [{ node: 'cp-it', msgID: 'x', voucher: {} }],
  });
  const count = async (metrics: ServiceMetrics) =>
    /^msx_delivery_latency_seconds_count\{service="router",stage="routed"\} (\d+)$/m.exec(
      (await metrics.exposition()).text,
    )?.[1];

  it('is observed from the submit stream stamp when a copy went out', async () => {
    const metrics = new ServiceMetrics('router');
    new RoutingMetrics(metrics).routed(submission(1_000), delivered, 1_250);
    expect(await count(metrics)).toBe('1');
    expect((await metrics.exposition()).text).toMatch(
      /^msx_delivery_latency_seconds_sum\{service="router",stage="routed"\} 0\.25$/m,
    );
  });

  it("is not observed when nothing was delivered, nor for the router's own envelopes", async () => {
    const metrics = new ServiceMetrics('router');
    const routing = new RoutingMetrics(metrics);
    routing.routed(submission(1_000), plan({ decisions: [decision('cp-it', 'withheld', 'POLICY.EXPIRED')] }));
    routing.routed(submission(undefined), delivered);
    expect(await count(metrics)).toBeUndefined();
    expect((await metrics.exposition()).text).toMatch(
      /^msx_routed_total\{outcome="delivered",rule="POLICY.ALLOWED",service="router"\} 1$/m,
    );
  });
});
