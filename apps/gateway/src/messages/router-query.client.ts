import { Injectable } from '@nestjs/common';
import type { ItemView, PreviewAnswer } from '#contracts';
import { Subjects, type BusCredentials } from '#messaging';
import { BusQueryClient } from '../http/bus-query.client.js';

/** NATS request/reply to the router's queries about items (`msx.query.router.*`), on a party's behalf. */
@Injectable()
export class RouterQueryClient extends BusQueryClient {
  constructor(servers: string, credentials?: BusCredentials) {
    super(servers, credentials, {
      name: 'the router',
      errors: ['ROUTER.QUERY_INVALID', 'CONTRACT.INVALID', 'ROUTER.LEDGER_UNAVAILABLE', 'ROUTER.UNAVAILABLE'],
      unavailable: 'ROUTER.UNAVAILABLE',
    });
  }

  /** Where `node` stands towards an item (and, for its originator, a share request about it). */
  item(node: string, messageId: string, requestId?: string): Promise<ItemView> {
    return this.request<ItemView>(Subjects.routerQuery.item, {
      node,
      messageId,
      ...(requestId ? { requestId } : {}),
    });
  }

  /** Who would receive `envelope` (its exact bytes) if `node` submitted it now. */
  preview(node: string, envelope: Uint8Array): Promise<PreviewAnswer> {
    return this.request<PreviewAnswer>(Subjects.routerQuery.preview, {
      node,
      envelope: Buffer.from(envelope).toString('base64'),
    });
  }
}
