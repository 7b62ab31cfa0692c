import { Inject, Injectable, Logger } from '@nestjs/common';
import { INTEL_TYPES, PRODUCT_TYPES } from '#contracts';
import type { Bus } from '#messaging';
import {
  acknowledgementFor,
  NODE_ID,
  OUTBOX,
  OutboxSender,
  type InboxHandler,
  type InboxItem,
  type NodeOperation,
  type OutboxStore,
} from '#node-app';
import { BUS } from '#runtime';
import { ReceiptHandler } from '../read-receipts/receipt.handler.js';

/**
 * A liaison officer's post abroad: it reads what reaches it (receipts for its own reports, requests to share
 * them, erasure confirmations) and acknowledges every item of intelligence and every product it receives to
 * its originator. Acknowledgements leave through the post's outbox, like its reports, so a post whose link is
 * down acknowledges once it is back, in the order it received.
 */
@Injectable()
export class PostHandler implements InboxHandler {
  private readonly logger = new Logger('Post');

  constructor(
    @Inject(NODE_ID) private readonly node: string,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(OUTBOX) private readonly outbox: OutboxStore,
    private readonly sender: OutboxSender,
    private readonly receipts: ReceiptHandler,
  ) {}

  async handle(item: InboxItem): Promise<NodeOperation[]> {
    const { envelope } = item;
    const type = envelope.payload.case;
    const acknowledged =
      type !== undefined &&
      (INTEL_TYPES.includes(type) || PRODUCT_TYPES.includes(type)) &&
      envelope.consentRef === '' &&
      envelope.sender !== this.node;
    if (acknowledged) {
      const ack = acknowledgementFor(this.node, this.bus.idKey, envelope, Date.now());
      const { seq, queued } = await this.outbox.enqueue(ack);
      if (queued) {
        this.logger.log(`acknowledging ${envelope.id} to ${envelope.sender} (outbox #${seq})`);
        this.sender.nudge();
      }
    }
    return this.receipts.handle(item);
  }
}
