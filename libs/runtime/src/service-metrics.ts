import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { auditConsumer, inboxConsumer, type Bus, type ConsumerSpec } from '#messaging';

/**
 * The names of MSX's own metrics. README "Operations: health and metrics" says what each means and which
 * service exposes it; every service also exposes prom-client's default process metrics (`process_*`,
 * `nodejs_*`). Every series carries the label `service` (the service or node id).
 */
export const METRIC_NAMES = {
  /** Counter, labels `outcome` ({@link RoutedOutcome}) and `rule` (a rule code of the sharing rules). */
  routed: 'msx_routed_total',
  /** Histogram in seconds, label `stage` ({@link DeliveryStage}). */
  deliveryLatency: 'msx_delivery_latency_seconds',
  /** Gauge: audit events the audit service has not recorded yet. */
  auditBacklog: 'msx_audit_backlog',
  /** Gauge, label `node`: copies in the node's inbox that the node has not handled yet. */
  consumerLag: 'msx_consumer_lag',
  /** Gauge: 1 while the service's audit gate refuses submissions, 0 while it accepts them. */
  failClosed: 'msx_fail_closed',
} as const;

/**
 * What became of a submission for one candidate recipient, or of the submission as a whole: the router counts
 * one per audit row of an outcome it writes (`delivered`, `forwarded` or `withheld` per candidate, `rejected`
 * once when a submission rule refused the whole submission).
 */
export type RoutedOutcome = 'delivered' | 'forwarded' | 'withheld' | 'rejected';

/**
 * Where delivery latency is measured, each from a time the broker stamped when it stored the message:
 * - `routed` (router): from the submission's storage in the submit stream to the router having its copies
 *   confirmed in the recipients' inbox streams (submissions delivered to at least one recipient);
 * - `handled` (node app): from the copy's storage in the node's inbox stream to the node having kept it, handed
 *   it to its handler and audited it, just before it acknowledges it.
 */
export type DeliveryStage = 'routed' | 'handled';

/** Bucket bounds of delivery latency, in seconds: a few milliseconds up to a backlog held for minutes. */
const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

/** How long a reading taken at scrape time may take, in milliseconds; one not in time is left out. */
const SCRAPE_READ_TIMEOUT_MS = 1_000;

/** `work`'s value if it settles within `ms`, else undefined (a late failure is swallowed). */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Messages of a durable consumer not yet acknowledged: not yet delivered, plus delivered and unacked. */
export async function consumerBacklog(bus: Bus, spec: ConsumerSpec): Promise<number> {
  const info = await bus.jsm.consumers.info(spec.stream, spec.durable);
  return info.num_pending + info.num_ack_pending;
}

/**
 * The metrics of one service process, in a registry of its own (so that several services in one test process
 * keep apart). Metrics of one concern are declared when the service first asks for them, so a service shows
 * only what it measures. Gauges that need a reading from the broker take it at scrape time, and show `NaN`
 * (unknown, never a stale or made-up value) when the broker does not answer within a second.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private routed?: Counter<'outcome' | 'rule'>;
  private latency?: Histogram<'stage'>;

  /** @param service the service or node id, the `service` label of every series */
  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }

  /** The counter `msx_routed_total` (router): label values only from fixed sets, never from caller text. */
  routedMessages(): Counter<'outcome' | 'rule'> {
    this.routed ??= new Counter({
      name: METRIC_NAMES.routed,
      help:
        'Routing outcomes, one per audit row the router writes: delivered, forwarded or withheld per candidate ' +
        'recipient, rejected once per submission a submission rule refused; rule is the deciding rule code',
      labelNames: ['outcome', 'rule'],
      registers: [this.registry],
    });
    return this.routed;
  }

  /** Counts `n` routing outcomes of one kind. */
  countRouted(outcome: RoutedOutcome, rule: string, n = 1): void {
    this.routedMessages().inc({ outcome, rule }, n);
  }

  /** The histogram `msx_delivery_latency_seconds`, declared with no observation yet. */
  deliveryLatency(): Histogram<'stage'> {
    this.latency ??= new Histogram({
      name: METRIC_NAMES.deliveryLatency,
      help:
        'Seconds from the broker storing a message to its delivery being done: stage routed, from the submit ' +
        'stream to the copies confirmed in the inboxes (router); stage handled, from the inbox stream to ' +
        'the node having handled and audited the copy (node app)',
      labelNames: ['stage'],
      buckets: LATENCY_BUCKETS_S,
      registers: [this.registry],
    });
    return this.latency;
  }

  /**
   * Observes one delivery's latency at `stage`.
   * @param storedAtMs when the broker stored the message (its JetStream timestamp), epoch milliseconds
   * @param nowMs when the stage was done; the broker's clock and this process's may disagree slightly, so a
   *   negative difference counts as 0
   */
  observeDelivery(stage: DeliveryStage, storedAtMs: number, nowMs = Date.now()): void {
    this.deliveryLatency().observe({ stage }, Math.max(0, nowMs - storedAtMs) / 1000);
  }

  /** `msx_fail_closed`: read from `closed` at each scrape (services that hold an audit gate). */
  watchFailClosed(closed: () => boolean): void {
    const gauge: Gauge = new Gauge({
      name: METRIC_NAMES.failClosed,
      help: '1 while the audit gate refuses submissions because the audit trail cannot record them, else 0',
      registers: [this.registry],
      collect: () => gauge.set(closed() ? 1 : 0),
    });
  }

  /** `msx_audit_backlog` (audit service): its consumer's pending and unacknowledged events, at each scrape. */
  watchAuditBacklog(bus: Bus): void {
    const gauge: Gauge = new Gauge({
      name: METRIC_NAMES.auditBacklog,
      help: 'Audit events published and not yet recorded by the audit service (pending plus unacknowledged)',
      registers: [this.registry],
      collect: async () => {
        const backlog = await within(consumerBacklog(bus, auditConsumer()), SCRAPE_READ_TIMEOUT_MS);
        gauge.set(backlog ?? NaN);
      },
    });
  }

  /**
   * `msx_consumer_lag{node}` (router): for each node of the directory, the copies in its inbox that it has not
   * acknowledged yet (pending plus unacknowledged on its inbox consumer), at each scrape.
   */
  watchConsumerLag(bus: Bus, nodes: readonly string[]): void {
    const gauge: Gauge<'node'> = new Gauge({
      name: METRIC_NAMES.consumerLag,
      help: "Copies in a node's inbox not yet acknowledged by the node (pending plus unacknowledged)",
      labelNames: ['node'],
      registers: [this.registry],
      collect: async () => {
        const readings = await Promise.all(
          nodes.map(async (node) => ({
            node,
            lag: await within(consumerBacklog(bus, inboxConsumer(node)), SCRAPE_READ_TIMEOUT_MS),
          })),
        );
        for (const { node, lag } of readings) gauge.set({ node }, lag ?? NaN);
      },
    });
  }

  /** The exposition of every metric, in Prometheus text format. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
