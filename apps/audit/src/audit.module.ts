import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AuditQueries, AuditRepository, openAuditStore } from '#audit-store';
import { auditConsumer, auditStream, checkpointStream, deadLetterStream, type Bus } from '#messaging';
import {
  BUS,
  BusModule,
  busTopologyProvider,
  createHealthController,
  natsCredentials,
  opsProviders,
  READINESS,
  type ServiceMetrics,
} from '#runtime';
import type { AuditModuleConfig } from './audit.config.js';
import { AUDIT_DATA_SOURCE, AUDIT_REPOSITORY, AUDIT_RETRY_POLICY } from './audit.tokens.js';
import { AuditStatusPublisher } from './publish-status/audit-status.publisher.js';
import { QueryFlowsController } from './query-flows/query-flows.controller.js';
import { QueryOfficerActivityController } from './query-officer-activity/query-officer-activity.controller.js';
import { QueryTrailController } from './query-trail/query-trail.controller.js';
import { QueryChainController } from './query-chain/query-chain.controller.js';
import { queryChainProviders } from './query-chain/query-chain.providers.js';
import { QueryExportController } from './query-export/query-export.controller.js';
import { queryExportProviders } from './query-export/query-export.providers.js';
import {
  DEFAULT_AUDIT_RETRY_POLICY,
  RecordEventConsumer,
  type AuditRetryPolicy,
} from './record-event/record-event.consumer.js';
import { signCheckpointProviders } from './sign-checkpoint/sign-checkpoint.providers.js';
import { AUDIT_NODE } from '#contracts';

/**
 * Closes the database last among the audit app's providers: Nest shuts down the deepest dependants first, and
 * the consumer and the checkpointer (which signs a last checkpoint on stop) depend on the repository, which
 * depends on the data source, so they are done before this runs.
 */
class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(AUDIT_DATA_SOURCE) private readonly ds: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    await this.ds.destroy();
  }
}

/** The audit service: the only writer of the audit trail in PostgreSQL. */
@Module({})
export class AuditModule {
  static forRoot(config: AuditModuleConfig): DynamicModule {
    return {
      module: AuditModule,
      imports: [
        BusModule.forRoot({
          servers: config.MSX_NATS_URL,
          name: AUDIT_NODE,
          credentials: natsCredentials(config, AUDIT_NODE),
        }),
      ],
      controllers: [
        createHealthController('audit'),
        QueryTrailController,
        QueryFlowsController,
        QueryOfficerActivityController,
        QueryChainController,
        QueryExportController,
      ],
      providers: [
        {
          provide: AUDIT_DATA_SOURCE,
          // Migrations run at start; the schema is never synchronised from entities.
          useFactory: () =>
            openAuditStore({ url: config.MSX_DATABASE_URL, schema: config.MSX_DATABASE_SCHEMA }),
        },
        // What the audit service reads and writes does not depend on the directory: it declares it itself.
        busTopologyProvider({
          replicas: config.MSX_STREAM_REPLICAS,
          of: () => ({
            streams: [auditStream(), deadLetterStream(), checkpointStream()],
            consumers: [auditConsumer()],
          }),
        }),
        {
          provide: AUDIT_REPOSITORY,
          inject: [AUDIT_DATA_SOURCE],
          useFactory: (ds: DataSource) => new AuditRepository(ds),
        },
        DataSourceCloser,
        {
          provide: AUDIT_RETRY_POLICY,
          useValue: {
            retryDelayMs: config.MSX_AUDIT_RETRY_DELAY_MS ?? DEFAULT_AUDIT_RETRY_POLICY.retryDelayMs,
            maxRetryDelayMs:
              config.MSX_AUDIT_MAX_RETRY_DELAY_MS ?? DEFAULT_AUDIT_RETRY_POLICY.maxRetryDelayMs,
            maxDeliver: config.MSX_AUDIT_MAX_DELIVER ?? DEFAULT_AUDIT_RETRY_POLICY.maxDeliver,
          } satisfies AuditRetryPolicy,
        },
        RecordEventConsumer,
        ...signCheckpointProviders(config),
        // Auditors' queries and the fail-closed heartbeat read the same database.
        {
          provide: AuditQueries,
          inject: [AUDIT_DATA_SOURCE],
          useFactory: (ds: DataSource) => new AuditQueries(ds),
        },
        AuditStatusPublisher,
        // The chain's verification status (checked in the background and on request) and the export's pages.
        ...queryChainProviders(config),
        ...queryExportProviders(config),
        { provide: READINESS, useExisting: RecordEventConsumer },
        // /healthz, /readyz and /metrics (MSX_OPS_PORT), with the backlog of events not yet recorded.
        ...opsProviders({
          service: 'audit',
          config,
          database: { inject: AUDIT_DATA_SOURCE, ping: (ds: DataSource) => ds.query('SELECT 1') },
          observe: {
            inject: [BUS],
            use: (metrics: ServiceMetrics, bus: Bus) => metrics.watchAuditBacklog(bus),
          },
        }),
      ],
    };
  }
}
