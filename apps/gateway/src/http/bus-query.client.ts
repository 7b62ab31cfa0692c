import { type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { MsxError, type ErrorCode } from '#contracts';
import { natsAuthOptions, type BusCredentials } from '#messaging';
import { fromRpcError, stopping } from '#runtime';

/** How long the gateway waits for a core service to answer a query, in milliseconds. */
export const BUS_QUERY_TIMEOUT_MS = 10_000;

/** Whom a client asks, and what it may answer. */
export interface QueryService {
  /** Named in the error when it does not answer: `the audit service`, `the router`. */
  name: string;
  /** The codes it may answer with; any other is its failure, not the caller's. */
  errors: readonly ErrorCode[];
  /** The (retryable) code of its not answering in time. */
  unavailable: ErrorCode;
}

/** NATS request/reply from the gateway to one core service's queries, on a connection of its own. */
export class BusQueryClient implements OnApplicationShutdown {
  private readonly client: ClientProxy;

  constructor(
    servers: string,
    credentials: BusCredentials | undefined,
    private readonly service: QueryService,
  ) {
    this.client = ClientProxyFactory.create({
      transport: Transport.NATS,
      options: {
        servers: servers.split(',').map((s) => s.trim()),
        name: 'msx-gateway-rpc',
        ...natsAuthOptions(credentials),
      },
    });
  }

  /**
   * Sends a query and returns the service's answer.
   * @throws MsxError with the service's code, or its `unavailable` code (retryable) when it does not answer
   *   in time
   */
  async request<T>(subject: string, query: Record<string, unknown>): Promise<T> {
    try {
      return await firstValueFrom(this.client.send<T>(subject, query).pipe(timeout(BUS_QUERY_TIMEOUT_MS)));
    } catch (err) {
      // An answer's error arrives as a plain object with a code; an Error means no answer (timeout, no bus).
      if (err instanceof TimeoutError || err instanceof Error) {
        throw new MsxError(this.service.unavailable, `${this.service.name} did not answer; retry later`, {
          cause: err,
          retryable: true,
        });
      }
      throw fromRpcError(err, this.service.errors);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await stopping(`${this.service.name} query connection`, async () => {
      await this.client.close();
    });
  }
}
