import { Injectable } from '@nestjs/common';
import type { BusCredentials } from '#messaging';
import { BusQueryClient } from '../http/bus-query.client.js';

/** NATS request/reply to the audit service's queries (`msx.query.audit.*`). */
@Injectable()
export class AuditQueryClient extends BusQueryClient {
  constructor(servers: string, credentials?: BusCredentials) {
    super(servers, credentials, {
      name: 'the audit service',
      errors: ['AUDIT.QUERY_INVALID', 'AUDIT.UNAVAILABLE', 'AUDIT.STORE_UNAVAILABLE'],
      unavailable: 'AUDIT.UNAVAILABLE',
    });
  }
}
