import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ensureStream, submitStream, type Bus } from '#messaging';
import { BUS, BusModule } from '#runtime';
import { NodeTokenGuard } from './auth/node-token.guard.js';
import type { GatewayConfig } from './gateway.config.js';
import { GATEWAY_CONFIG } from './gateway.tokens.js';
import { HealthController } from './health/health.controller.js';
import { HttpErrorFilter } from './http/http-error.filter.js';
import { RejectionAuditor } from './http/rejection-auditor.js';
import { SubmitMessageController } from './submit-message/submit-message.controller.js';
import { SubmitMessageHandler } from './submit-message/submit-message.handler.js';

/** The HTTP gateway for liaison officers and analysts. */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [BusModule.forRoot({ servers: config.MSX_NATS_URL, name: 'msx-gateway' })],
      controllers: [SubmitMessageController, HealthController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        {
          // The submit stream must exist before the first submission is accepted.
          provide: 'SUBMIT_STREAM',
          inject: [BUS],
          useFactory: (bus: Bus) => ensureStream(bus.jsm, submitStream(), config.MSX_STREAM_REPLICAS),
        },
        NodeTokenGuard,
        RejectionAuditor,
        SubmitMessageHandler,
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
    };
  }
}
