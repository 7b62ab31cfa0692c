import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { AuditQueries } from '#audit-store';
import { Subjects, type Bus } from '#messaging';
import { encodeAuditStatus, newAuditStatus, timestampMs, type AuditStatus } from '#contracts';
import { BUS, busLogger, publishAuditStatus } from '#runtime';

/** How often the database is probed and the heartbeat published, in milliseconds. */
export const STATUS_INTERVAL_MS = 1_000;
/** A probe that takes longer than this counts as an unreachable database, in milliseconds. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * Tells the services that accept submissions whether the audit trail can record (DESIGN §5, fail closed):
 * probes the database every second and publishes the result on `msx.status.audit`; answers
 * `msx.status.audit.request` with the latest result at once.
 */
@Injectable()
export class AuditStatusPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = busLogger('AuditStatus');
  private timer?: NodeJS.Timeout;
  private subscription?: Subscription;
  private current?: AuditStatus;
  private probing = false;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    private readonly queries: AuditQueries,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.bus.nc.subscribe(Subjects.auditStatusRequest, {
      callback: (err, msg) => {
        if (!err && this.current) msg.respond(encodeAuditStatus(this.current));
      },
    });
    await this.tick();
    this.timer = setInterval(() => void this.tick(), STATUS_INTERVAL_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.subscription?.unsubscribe();
  }

  private async tick(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const status = await this.probe();
      if (this.current && this.current.databaseReachable !== status.databaseReachable) {
        if (status.databaseReachable) this.logger.log('audit database reachable again');
        else this.logger.warn('audit database unreachable: services refuse submissions');
      }
      this.current = status;
      if (!this.bus.nc.isClosed()) publishAuditStatus(this.bus.nc, status);
    } finally {
      this.probing = false;
    }
  }

  private async probe(): Promise<AuditStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
    });
    try {
      const last = await Promise.race([this.queries.lastRecordedAt(), timeout]);
      return newAuditStatus({ databaseReachable: true, lastCommitAtMs: last?.getTime(), atMs: Date.now() });
    } catch {
      const previous = this.current?.lastCommitAt;
      return newAuditStatus({
        databaseReachable: false,
        lastCommitAtMs: previous ? timestampMs(previous) : undefined,
        atMs: Date.now(),
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
