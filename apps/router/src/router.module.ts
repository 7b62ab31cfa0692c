import { Module, type DynamicModule } from '@nestjs/common';
import type { Directory } from '#directory';
import { busTopology, type Bus } from '#messaging';
import {
  auditGateProvider,
  BUS,
  BusModule,
  busLogger,
  busTopologyProvider,
  createHealthController,
  natsCredentials,
  opsProviders,
  READINESS,
  type ServiceMetrics,
} from '#runtime';
import type { RouterConfig } from './router.config.js';
import { RouteMessageConsumer } from './route-message/route-message.consumer.js';
import { RouteMessageService } from './route-message/route-message.service.js';
import { DIRECTORY, EXPIRY_INDEX, LEDGER } from './router.tokens.js';
import { ExpirySweeper } from './expire-items/expiry.sweeper.js';
import { ExpiryIndex } from './ledger/expiry-index.js';
import { JetStreamLedger } from './ledger/jetstream-ledger.js';
import { routerKeysProvider } from './vouch-deliveries/router-keys.provider.js';
import { ROUTER_NODE } from '#contracts';
import { ItemQueriesController } from './query-items/item-queries.controller.js';
import { ItemQueriesService } from './query-items/item-queries.service.js';

/** The router: applies the sharing rules to every submission. */
@Module({})
export class RouterModule {
  static forRoot(config: RouterConfig, directory: Directory): DynamicModule {
    return {
      module: RouterModule,
      imports: [
        BusModule.forRoot({
          servers: config.MSX_NATS_URL,
          name: ROUTER_NODE,
          credentials: natsCredentials(config, ROUTER_NODE),
        }),
      ],
      controllers: [createHealthController('router'), ItemQueriesController],
      providers: [
        { provide: DIRECTORY, useValue: directory },
        // The router provisions the whole exchange: every stream and consumer, for every node of the directory.
        busTopologyProvider({
          replicas: config.MSX_STREAM_REPLICAS,
          inject: [DIRECTORY],
          of: (d: Directory) => busTopology(d.nodeIds()),
        }),
        {
          provide: LEDGER,
          inject: [BUS],
          useFactory: (bus: Bus) => new JetStreamLedger(bus, busLogger('Ledger')),
        },
        { provide: EXPIRY_INDEX, useValue: new ExpiryIndex() },
        routerKeysProvider(config),
        // Fail closed: nothing is routed while the audit trail cannot record it (DESIGN §5).
        auditGateProvider(config),
        // /healthz, /readyz and /metrics (MSX_OPS_PORT); the router reads every node's inbox lag.
        ...opsProviders({
          service: 'router',
          config,
          observe: {
            inject: [BUS, DIRECTORY],
            use: (metrics: ServiceMetrics, bus: Bus, d: Directory) =>
              metrics.watchConsumerLag(bus, d.nodeIds()),
          },
        }),
        // The use case, and the two that hand it submissions: the JetStream consumer and the expiry sweeper.
        RouteMessageService,
        ItemQueriesService,
        RouteMessageConsumer,
        ExpirySweeper,
        { provide: READINESS, useExisting: RouteMessageConsumer },
      ],
    };
  }
}
