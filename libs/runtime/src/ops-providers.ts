import type { InjectionToken, Provider } from '@nestjs/common';
import type { Bus } from '#messaging';
import { AuditGate } from './audit-gate.js';
import { BUS } from './bus.module.js';
import { READINESS, type Readiness } from './health.js';
import { databaseCheck, natsCheck, OpsServer, type ReadinessCheck } from './ops-server.js';
import { ServiceMetrics } from './service-metrics.js';

/** The operations settings of a service's configuration (`opsSpec`); configurations built by tests may lack them. */
export interface OpsConfig {
  MSX_OPS_HOST?: string;
  MSX_OPS_PORT?: number;
}

export interface OpsProvidersOptions {
  /** Service or node id: the `service` label of its metrics. */
  service: string;
  config: OpsConfig;
  /**
   * The service's database, for readiness: the provider that holds it and how to ask it `select 1`. Services
   * without a database (the router) leave it out.
   */
  database?: { inject: InjectionToken; ping: (db: never) => Promise<unknown> };
  /** Metrics the service reads from its own providers at each scrape (consumer lag, audit backlog). */
  observe?: { inject: InjectionToken[]; use: (metrics: ServiceMetrics, ...deps: never[]) => void };
}

/**
 * The operations side of a service, as providers of its own module: its {@link ServiceMetrics} (injectable
 * by its use cases) and its {@link OpsServer}, which listens once the application has bootstrapped when the
 * configuration names a port. Readiness checks the NATS connection, the database when there is one, and the
 * service's workers when it has a {@link READINESS} probe; a service that holds an {@link AuditGate} exposes
 * its state as `msx_fail_closed`.
 */
export function opsProviders(o: OpsProvidersOptions): Provider[] {
  const databaseTokens = o.database ? [o.database.inject] : [];
  return [
    { provide: ServiceMetrics, useFactory: () => new ServiceMetrics(o.service) },
    {
      provide: OpsServer,
      inject: [
        ServiceMetrics,
        BUS,
        { token: READINESS, optional: true },
        { token: AuditGate, optional: true },
        ...databaseTokens,
        ...(o.observe?.inject ?? []),
      ],
      useFactory: (
        metrics: ServiceMetrics,
        bus: Bus,
        readiness: Readiness | undefined,
        gate: AuditGate | undefined,
        ...rest: never[]
      ) => {
        const [database, ...observed] = o.database ? rest : [undefined as never, ...rest];
        const checks: Record<string, ReadinessCheck> = { nats: natsCheck(bus) };
        const ping = o.database?.ping;
        if (ping) checks.database = databaseCheck(() => ping(database));
        if (readiness)
          checks.workers = { probe: () => Promise.resolve(readiness.ready()), failure: 'not running' };
        if (gate) metrics.watchFailClosed(() => !gate.state().open);
        o.observe?.use(metrics, ...observed);
        return new OpsServer({
          service: o.service,
          host: o.config.MSX_OPS_HOST ?? '127.0.0.1',
          port: o.config.MSX_OPS_PORT,
          metrics,
          checks,
        });
      },
    },
  ];
}
