import { describe, expect, it } from '@jest/globals';
import { ServiceMetrics } from './service-metrics.js';

/** The sample lines of one metric in the exposition, without HELP and TYPE. */
async function samples(metrics: ServiceMetrics, name: string): Promise<string[]> {
  const { text } = await metrics.exposition();
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe("a service's metrics", () => {
  it("exposes the process's default metrics, labelled with the service", async () => {
    const metrics = new ServiceMetrics('cp-it');
    const { contentType, text } = await metrics.exposition();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toMatch(/^process_cpu_seconds_total\{service="cp-it"\} \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes\{service="cp-it"\} \d/m);
  });

  it('shows only what the service measures', async () => {
    const metrics = new ServiceMetrics('audit');
    const { text } = await metrics.exposition();
    expect(text).not.toMatch(/msx_/);
    metrics.deliveryLatency();
    expect((await metrics.exposition()).text).toMatch(/^# TYPE msx_delivery_latency_seconds histogram$/m);
    expect((await metrics.exposition()).text).not.toMatch(/msx_routed_total/);
  });

  it('counts routing outcomes by outcome and rule', async () => {
    const metrics = new ServiceMetrics('router');
    metrics.countRouted('delivered', 'POLICY.ALLOWED', 2);
    metrics.countRouted('withheld', 'POLICY.TLP_RED_NAMED_ONLY');
    metrics.countRouted('delivered', 'POLICY.ALLOWED');
    expect(await samples(metrics, 'msx_routed_total')).toEqual([
      'msx_routed_total{outcome="delivered",rule="POLICY.ALLOWED",service="router"} 3',
      'msx_routed_total{outcome="withheld",rule="POLICY.TLP_RED_NAMED_ONLY",service="router"} 1',
    ]);
  });

  it('observes delivery latency in seconds from the broker stamp, never below zero', async () => {
    const metrics = new ServiceMetrics('router');
    metrics.observeDelivery('routed', 10_000, 10_040);
    // The broker's clock a little ahead of this process's: counted as no time at all.
    metrics.observeDelivery('routed', 10_000, 9_990);
    const lines = await samples(metrics, 'msx_delivery_latency_seconds_bucket');
    expect(lines).toContain(
      'msx_delivery_latency_seconds_bucket{le="0.005",service="router",stage="routed"} 1',
    );
    expect(lines).toContain(
      'msx_delivery_latency_seconds_bucket{le="0.05",service="router",stage="routed"} 2',
    );
    expect(await samples(metrics, 'msx_delivery_latency_seconds_sum')).toEqual([
      'msx_delivery_latency_seconds_sum{service="router",stage="routed"} 0.04',
    ]);
  });

  it('reads the fail-closed state at each scrape', async () => {
    const metrics = new ServiceMetrics('gateway');
    let closed = true;
    metrics.watchFailClosed(() => closed);
    expect(await samples(metrics, 'msx_fail_closed')).toEqual(['msx_fail_closed{service="gateway"} 1']);
    closed = false;
    expect(await samples(metrics, 'msx_fail_closed')).toEqual(['msx_fail_closed{service="gateway"} 0']);
  });

  it('keeps the metrics of two services in one process apart', async () => {
    const router = new ServiceMetrics('router');
    const other = new ServiceMetrics('router');
    router.countRouted('rejected', 'POLICY.ID_ALREADY_USED');
    other.routedMessages();
    expect(await samples(other, 'msx_routed_total')).toEqual([]);
    expect(await samples(router, 'msx_routed_total')).toHaveLength(1);
  });
});
