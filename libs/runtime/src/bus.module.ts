import {
  Global,
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { InjectionToken, Provider } from '@nestjs/common';
import { connectBus, declareTopology, type Bus, type BusCredentials, type BusTopology } from '#messaging';
import { stopping } from './shutdown.js';

/** Injection token of the service's bus connection. */
export const BUS = Symbol('MSX_BUS');

export interface BusModuleOptions {
  /** NATS server URL(s), comma separated. */
  servers: string;
  /** Connection name, for example `msx-router`. */
  name: string;
  /** Credentials, when the broker requires them. */
  credentials?: BusCredentials;
}

class BusCloser implements OnApplicationShutdown {
  constructor(@Inject(BUS) private readonly bus: Bus) {}

  async onApplicationShutdown(): Promise<void> {
    await stopping('bus connection', () => this.bus.close());
  }
}

/** Injection token: the streams and consumers the service declared, resolved once they exist on the bus. */
export const BUS_TOPOLOGY = Symbol('MSX_BUS_TOPOLOGY');

/**
 * Declares the streams and consumers a service uses, as one provider of its own: Nest resolves it before
 * any worker starts (workers start in lifecycle hooks, after every provider is built), and a provider that
 * needs the topology can inject {@link BUS_TOPOLOGY}. `of` may read other providers, named in `inject`.
 */
export function busTopologyProvider(opts: {
  replicas: number;
  inject?: InjectionToken[];
  of: (...deps: never[]) => BusTopology;
}): Provider {
  return {
    provide: BUS_TOPOLOGY,
    inject: [BUS, ...(opts.inject ?? [])],
    useFactory: async (bus: Bus, ...deps: never[]) => {
      const topology = opts.of(...deps);
      for (const notice of await declareTopology(bus.jsm, topology, opts.replicas))
        new Logger('Topology').warn(notice);
      return topology;
    },
  };
}

/** Provides one bus connection per process, drained when the application shuts down. */
@Global()
@Module({})
export class BusModule {
  static forRoot(opts: BusModuleOptions): DynamicModule {
    const logger = new Logger('Bus');
    return {
      module: BusModule,
      providers: [{ provide: BUS, useFactory: () => connectBus({ ...opts, logger }) }, BusCloser],
      exports: [BUS],
    };
  }
}
