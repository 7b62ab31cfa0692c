import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { submitStream } from '#messaging';
import { auditGateProvider, BusModule, busTopologyProvider, natsCredentials, opsProviders } from '#runtime';
import { AuditorTokenGuard } from './auth/auditor-token.guard.js';
import { GatewayTokens } from './auth/gateway-tokens.js';
import { NodeTokenGuard } from './auth/node-token.guard.js';
import { AuditQueryClient } from './consult-audit/audit-query.client.js';
import { ConsultAuditController } from './consult-audit/consult-audit.controller.js';
import { ConsultAuditHandler } from './consult-audit/consult-audit.handler.js';
import type { GatewayConfig } from './gateway.config.js';
import { GATEWAY_CONFIG } from './gateway.tokens.js';
import { HealthController } from './health/health.controller.js';
import { HttpErrorFilter } from './http/http-error.filter.js';
import { GatewayEdge } from './http/gateway-edge.js';
import { RejectionAuditor } from './http/rejection-auditor.js';
import { MessagesController } from './messages/messages.controller.js';
import { MessagesHandler } from './messages/messages.handler.js';
import { PreviewBudget } from './auth/preview-budget.js';
import { ReportsController } from './messages/reports.controller.js';
import { RouterQueryClient } from './messages/router-query.client.js';
import { SubmitMessageController } from './submit-message/submit-message.controller.js';
import { SubmitMessageHandler } from './submit-message/submit-message.handler.js';
import { ReadInboxController } from './read-inbox/read-inbox.controller.js';
import { ReadInboxHandler } from './read-inbox/read-inbox.handler.js';
import { ConsoleController } from './console/console.controller.js';
import { WhoamiController } from './whoami/whoami.controller.js';
import { DocsController } from './openapi/docs.controller.js';
import { GATEWAY_NODE } from '#contracts';
import { CredentialStore, defaultCredentialSchema } from '#identity';

/** The HTTP gateway for liaison officers and analysts, and for auditors. */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        BusModule.forRoot({
          servers: config.MSX_NATS_URL,
          name: GATEWAY_NODE,
          credentials: natsCredentials(config, GATEWAY_NODE),
        }),
      ],
      controllers: [
        SubmitMessageController,
        MessagesController,
        ReportsController,
        ReadInboxController,
        ConsultAuditController,
        HealthController,
        WhoamiController,
        ConsoleController,
        DocsController,
      ],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        // The submit stream must exist before the first submission is accepted.
        busTopologyProvider({
          replicas: config.MSX_STREAM_REPLICAS,
          of: () => ({ streams: [submitStream()], consumers: [] }),
        }),
        // Fail closed: no submission is accepted while the audit trail cannot record it (DESIGN §5).
        auditGateProvider(config),
        // /healthz, /readyz and /metrics on the operations listener (MSX_OPS_PORT), never on the public port.
        ...opsProviders({
          service: 'gateway',
          config,
          database: { inject: CredentialStore, ping: (store: CredentialStore) => store.ping() },
        }),
        {
          provide: RouterQueryClient,
          useFactory: () => new RouterQueryClient(config.MSX_NATS_URL, natsCredentials(config, GATEWAY_NODE)),
        },
        MessagesHandler,
        PreviewBudget,
        {
          provide: AuditQueryClient,
          useFactory: () => new AuditQueryClient(config.MSX_NATS_URL, natsCredentials(config, GATEWAY_NODE)),
        },
        // What every request meets before a route: headers, the body's deadline, the credential, JSON only.
        GatewayEdge,
        {
          provide: CredentialStore,
          useFactory: () =>
            CredentialStore.open({
              url: config.MSX_DATABASE_URL,
              schema: config.MSX_CREDENTIALS_SCHEMA ?? defaultCredentialSchema(config.MSX_DATABASE_SCHEMA),
            }),
        },
        GatewayTokens,
        NodeTokenGuard,
        AuditorTokenGuard,
        RejectionAuditor,
        SubmitMessageHandler,
        ReadInboxHandler,
        ConsultAuditHandler,
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
    };
  }
}
