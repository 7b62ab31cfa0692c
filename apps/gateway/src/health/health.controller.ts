import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CredentialStore } from '#identity';
import type { Bus } from '#messaging';
import { AuditGate, BUS } from '#runtime';
import { LivenessDocs, ReadinessDocs } from '../openapi/route-docs.js';

/** How long a readiness check waits on a dependency. */
const CHECK_TIMEOUT_MS = 1_000;

/** What readiness found: each dependency `ok` or `unreachable`, and whether submissions are accepted. */
export interface GatewayReadiness {
  status: 'ready' | 'not ready';
  checks: { nats: 'ok' | 'unreachable'; database: 'ok' | 'unreachable' };
  /** Closed while the audit trail cannot record (fail closed): reads still work, submissions are refused. */
  submissions: 'open' | 'closed';
}

async function within(work: Promise<unknown>): Promise<'ok' | 'unreachable'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS))),
    ]);
    return 'ok';
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Liveness and readiness for load balancers and orchestrators. They say nothing of the exchange's
 * contents, and name no host, driver or subject.
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(BUS) private readonly bus: Bus,
    private readonly credentials: CredentialStore,
    private readonly auditGate: AuditGate,
  ) {}

  /** Liveness: the process answers. */
  @Get(['healthz', 'health'])
  @LivenessDocs()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: NATS and the credentials database answer within a second; 503 otherwise. */
  @Get('readyz')
  @ReadinessDocs()
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<GatewayReadiness> {
    const [nats, database] = await Promise.all([
      within(this.bus.nc.isClosed() ? Promise.reject(new Error('closed')) : this.bus.nc.flush()),
      within(this.credentials.ping()),
    ]);
    const ready = nats === 'ok' && database === 'ok';
    if (!ready) void reply.status(503);
    return {
      status: ready ? 'ready' : 'not ready',
      checks: { nats, database },
      submissions: this.auditGate.state().open ? 'open' : 'closed',
    };
  }
}
