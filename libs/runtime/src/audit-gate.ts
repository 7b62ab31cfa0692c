import { Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { int } from '#config';
import { decodeAuditStatus, MsxError, type AuditStatus } from '#contracts';
import { auditConsumer, Subjects, type Bus } from '#messaging';
import { BUS } from './bus.module.js';

/** Configuration of the audit gate; spread it into the spec of every service that accepts submissions. */
export const auditGateSpec = {
  /**
   * Audit events waiting for the audit service (pending plus delivered but not yet acknowledged) beyond
   * which new submissions are refused.
   */
  MSX_AUDIT_BACKLOG_LIMIT: int(50_000, 1, 100_000_000),
  /**
   * Milliseconds without word from the audit service (heartbeat every second) after which new submissions
   * are refused; also how old a backlog reading may be.
   */
  MSX_AUDIT_HEARTBEAT_TIMEOUT_MS: int(3_000, 1_500, 600_000),
};

/** How often the gate reads the audit consumer's backlog, in milliseconds. */
const BACKLOG_POLL_MS = 1_000;
/** A status older than this makes the gate ask the audit service directly, in milliseconds. */
const STATUS_STALE_MS = 1_500;
/** How long a direct status request waits, in milliseconds. */
const STATUS_REQUEST_TIMEOUT_MS = 1_000;
/** How often the gate asks while it waits at start for the audit service, in milliseconds. */
const START_POLL_MS = 100;

/** What the gate has observed, with the local time (ms) each observation arrived. */
export interface AuditObservations {
  status?: { value: AuditStatus; receivedAtMs: number };
  backlog?: { value: number; readAtMs: number };
}

export interface AuditGateLimits {
  backlogLimit: number;
  heartbeatTimeoutMs: number;
}

/**
 * Why submissions must be refused now, or undefined when the audit trail can keep up. Fails closed: no
 * word, stale word, an unreachable database and an unknown or excessive backlog all refuse.
 */
export function auditRefusal(
  o: AuditObservations,
  limits: AuditGateLimits,
  nowMs: number,
): string | undefined {
  if (!o.status) return 'no status from the audit service yet';
  const silentMs = nowMs - o.status.receivedAtMs;
  if (silentMs > limits.heartbeatTimeoutMs) return `no heartbeat from the audit service for ${silentMs} ms`;
  if (!o.status.value.databaseReachable) return 'the audit database is unreachable';
  if (!o.backlog || nowMs - o.backlog.readAtMs > limits.heartbeatTimeoutMs)
    return 'the audit backlog cannot be read';
  if (o.backlog.value > limits.backlogLimit)
    return `${o.backlog.value} audit events are waiting, more than the limit of ${limits.backlogLimit}`;
  return undefined;
}

export interface AuditGateOptions extends AuditGateLimits {
  bus: Bus;
  /**
   * How long `start()` waits for the gate to open, in milliseconds, so a service started together with the
   * audit service does not refuse its first submissions; it starts closed after that (default 5 s).
   */
  startWaitMs?: number;
  /** Local clock in milliseconds; tests replace it. */
  now?: () => number;
}

/**
 * Fails closed when the audit trail cannot keep up (DESIGN §5): combines the audit service's heartbeat
 * (`msx.status.audit`: is its database reachable) with the audit consumer's backlog (`num_pending +
 * num_ack_pending` of MSX_AUDIT/audit). Services that accept submissions call `check()` before accepting.
 */
export class AuditGate implements OnApplicationShutdown {
  private readonly logger = new Logger('AuditGate');
  private readonly observations: AuditObservations = {};
  private readonly now: () => number;
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private polling = false;
  private lastRefusal: string | undefined = 'not started';

  constructor(private readonly opts: AuditGateOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Starts listening and polling; waits up to `startWaitMs` for the audit service, never fails. */
  static async start(opts: AuditGateOptions): Promise<AuditGate> {
    const gate = new AuditGate(opts);
    await gate.start();
    return gate;
  }

  async start(): Promise<void> {
    this.subscription = this.opts.bus.nc.subscribe(Subjects.auditStatus, {
      callback: (err, msg) => {
        if (!err) this.observeStatus(msg.data);
      },
    });
    const deadline = this.now() + (this.opts.startWaitMs ?? 5_000);
    await this.poll();
    while (auditRefusal(this.observations, this.opts, this.now()) && this.now() < deadline) {
      await new Promise((r) => setTimeout(r, START_POLL_MS));
      await this.poll();
    }
    this.lastRefusal = auditRefusal(this.observations, this.opts, this.now());
    if (this.lastRefusal)
      this.logger.warn(`refusing submissions until the audit trail can record: ${this.lastRefusal}`);
    this.timer = setInterval(() => void this.poll(), BACKLOG_POLL_MS);
    this.timer.unref();
  }

  /**
   * Refuses when the audit trail cannot keep up.
   * @throws MsxError `AUDIT.UNAVAILABLE` (retryable: HTTP 503 with Retry-After, nak with delay)
   */
  check(): void {
    const reason = this.refusal();
    if (reason) {
      throw new MsxError(
        'AUDIT.UNAVAILABLE',
        `submissions are refused while the audit trail cannot record them (${reason}); retry later`,
        { retryable: true, hold: true },
      );
    }
  }

  /** Whether submissions are accepted now, why not, and the last backlog read. */
  state(): { open: boolean; reason?: string; backlog?: number } {
    const reason = this.refusal();
    return { open: reason === undefined, reason, backlog: this.observations.backlog?.value };
  }

  stop(): void {
    clearInterval(this.timer);
    this.subscription?.unsubscribe();
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  private refusal(): string | undefined {
    const reason = auditRefusal(this.observations, this.opts, this.now());
    if ((reason === undefined) !== (this.lastRefusal === undefined)) {
      if (reason) this.logger.warn(`refusing submissions: ${reason}`);
      else this.logger.log('accepting submissions again: the audit trail keeps up');
    }
    this.lastRefusal = reason;
    return reason;
  }

  private observeStatus(data: Uint8Array): void {
    const value = decodeAuditStatus(data);
    if (value) this.observations.status = { value, receivedAtMs: this.now() };
    if (this.timer) this.refusal();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const { nc, jsm } = this.opts.bus;
      const status = this.observations.status;
      const asking =
        !status || this.now() - status.receivedAtMs > STATUS_STALE_MS
          ? nc
              .request(Subjects.auditStatusRequest, undefined, { timeout: STATUS_REQUEST_TIMEOUT_MS })
              .then((m) => this.observeStatus(m.data))
              .catch(() => undefined)
          : undefined;
      const spec = auditConsumer();
      try {
        const info = await jsm.consumers.info(spec.stream, spec.durable);
        this.observations.backlog = { value: info.num_pending + info.num_ack_pending, readAtMs: this.now() };
      } catch {
        // Unknown backlog: the reading ages out and the gate closes (fail closed).
      }
      await asking;
      if (this.timer) this.refusal();
    } finally {
      this.polling = false;
    }
  }
}

/**
 * The gate as a Nest provider for a service that accepts submissions, started from the service's
 * configuration (which spreads `auditGateSpec`).
 */
export function auditGateProvider(config: {
  MSX_AUDIT_BACKLOG_LIMIT: number;
  MSX_AUDIT_HEARTBEAT_TIMEOUT_MS: number;
}): Provider {
  return {
    provide: AuditGate,
    inject: [BUS],
    useFactory: (bus: Bus) =>
      AuditGate.start({
        bus,
        backlogLimit: config.MSX_AUDIT_BACKLOG_LIMIT,
        heartbeatTimeoutMs: config.MSX_AUDIT_HEARTBEAT_TIMEOUT_MS,
      }),
  };
}
