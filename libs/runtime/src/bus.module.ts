import {
  Global,
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { connectBus, type Bus, type BusCredentials } from '#messaging';

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
    await this.bus.close();
  }
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
