import { Injectable, Logger } from '@nestjs/common';
import { DecisionOutcome } from '#contracts';
import type { InboxHandler, InboxItem, NodeOperation } from '#node-app';

/**
 * A liaison officer's post: reads the receipts for its own reports (who received them, what was withheld
 * and why), requests to share them onward, confirmations that recalled reports were erased, and the
 * intelligence it subscribed to.
 */
@Injectable()
export class ReceiptHandler implements InboxHandler {
  private readonly logger = new Logger('Receipts');

  handle({ envelope }: InboxItem): Promise<NodeOperation[]> {
    if (envelope.payload.case === 'deliveryReceipt') {
      const receipt = envelope.payload.value;
      const delivered = receipt.decisions
        .filter((d) => d.outcome === DecisionOutcome.DELIVERED)
        .map((d) => d.recipient);
      const withheld = receipt.decisions
        .filter((d) => d.outcome === DecisionOutcome.WITHHELD)
        .map((d) => `${d.recipient} (${d.rule})`);
      this.logger.log(
        `report ${receipt.messageId}: delivered to ${delivered.join(', ') || 'no one'}; withheld from ${withheld.join(', ') || 'no one'}`,
      );
    } else if (envelope.payload.case === 'erasureReceipt') {
      this.logger.log(`erasure of ${envelope.payload.value.messageId} confirmed by ${envelope.sender}`);
    } else if (envelope.payload.case === 'shareRequest') {
      const r = envelope.payload.value;
      this.logger.log(
        `${envelope.sender} asks to share ${r.messageId} with ${r.proposedRecipients.join(', ')}: answer with a shareDecision (requestId ${envelope.id})`,
      );
    } else {
      this.logger.log(`received ${envelope.payload.case} ${envelope.id} from ${envelope.sender}`);
    }
    return Promise.resolve([]);
  }
}
