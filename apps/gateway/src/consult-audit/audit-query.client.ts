import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { MsxError, type ErrorCode } from '#contracts';
import { natsAuthOptions, type BusCredentials } from '#messaging';
import { fromRpcError } from '#runtime';

/** How long the gateway waits for the audit service to answer a query, in milliseconds. */
export const AUDIT_QUERY_TIMEOUT_MS = 10_000;

/** NATS request/reply to the audit service's queries (`msx.query.audit.*`). */
/** What the audit service may answer a query with; any other code is its failure, not the auditor's. */
const AUDIT_QUERY_ERRORS: readonly ErrorCode[] = [
  'AUDIT.QUERY_INVALID',
  'AUDIT.UNAVAILABLE',
  'AUDIT.STORE_UNAVAILABLE',
];

@Injectable()
export class AuditQueryClient implements OnApplicationShutdown {
  private readonly client: ClientProxy;

  constructor(servers: string, credentials?: BusCredentials) {
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
   * Sends a query and returns the audit service's answer.
   * @throws MsxError with the audit service's code (`AUDIT.QUERY_INVALID`, …), or `AUDIT.UNAVAILABLE`
   * (retryable) when it does not answer in time
   */
  async request<T>(subject: string, query: Record<string, unknown>): Promise<T> {
    try {
      return await firstValueFrom(this.client.send<T>(subject, query).pipe(timeout(AUDIT_QUERY_TIMEOUT_MS)));
    } catch (err) {
      // An answer's error arrives as a plain object with a code; an Error means no answer (timeout, no bus).
      if (err instanceof TimeoutError || err instanceof Error) {
        throw new MsxError('AUDIT.UNAVAILABLE', 'the audit service did not answer; retry later', {
          cause: err,
          retryable: true,
        });
      }
      throw fromRpcError(err, AUDIT_QUERY_ERRORS);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
