import { Injectable, Logger } from '@nestjs/common';
import type { InboxHandler, InboxItem, NodeOperation } from '#node-app';

/**
 * AFIC receives what concerns African routes; its analysts decide what to pass on to partner countries,
 * which the router checks against the registered agreements. Receipt is audited by the inbox worker.
 */
@Injectable()
export class PartnerBridgeHandler implements InboxHandler {
  private readonly logger = new Logger('PartnerBridge');

  handle({ envelope }: InboxItem): Promise<NodeOperation[]> {
    this.logger.log(`AFIC holds ${envelope.payload.case} ${envelope.id} for analysis`);
    return Promise.resolve([]);
  }
}
