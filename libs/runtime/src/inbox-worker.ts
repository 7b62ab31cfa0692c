import { Inject, Injectable } from '@nestjs/common';
import {
  AuditOperation,
  decodeEnvelope,
  encodeEnvelope,
  nameBasedId,
  newAuditEvent,
  RecallReason,
  sha256Hex,
  type Envelope,
  type PayloadType,
  type Recall,
} from '#contracts';
import {
  deadLetterAuditEvent,
  Headers,
  inboxConsumer,
  JetStreamWorker,
  publishAuditEvent,
  publishDurably,
  Subjects,
  type Bus,
} from '#messaging';
import { busLogger } from './bootstrap.js';
import { BUS } from './bus.module.js';
import type { CopyStore } from './copy-store.js';
import { erasureReceiptFor } from './erasure-receipt.js';
import { WorkerService } from './worker-service.js';

/** Injection tokens of a node app. */
export const NODE_ID = Symbol('MSX_NODE_ID');
export const INBOX_HANDLER = Symbol('MSX_INBOX_HANDLER');
export const COPY_STORE = Symbol('MSX_COPY_STORE');

/** Messages about items, not items: the node keeps no copy of them to erase. */
const NOT_KEPT: ReadonlySet<PayloadType> = new Set<PayloadType>([
  'deliveryReceipt',
  'acknowledgement',
  'shareRequest',
  'shareDecision',
  'recall',
  'erasureReceipt',
]);

/** An item taken from the node's inbox. */
export interface InboxItem {
  envelope: Envelope;
  /** SHA-256 (hex) of the exact bytes received. */
  sha256: string;
  correlationId: string;
}

/** A further operation the node performed on the item, to be audited (for example dispatched nationally). */
export interface NodeOperation {
  operation: AuditOperation;
  /** A distinct name for this operation on this item, so it is audited once, for example `dispatch:border-police`. */
  key: string;
  /** The item the operation concerns when it is not the envelope itself (the recalled item of an erasure). */
  messageId?: string;
  counterpart?: string;
  detail?: Record<string, unknown>;
}

/** What a node app does with each item of its inbox; must be idempotent by envelope id (items can come twice). */
export interface InboxHandler {
  handle(item: InboxItem): Promise<NodeOperation[]>;
  /** Erases whatever the node derived from a recalled item (for example a list entry). */
  erase?(messageId: string): Promise<void>;
}

/**
 * Reads a node's own inbox through its durable consumer, in order, once: decodes and checks the envelope,
 * lets the node's handler work, audits `received` (and the handler's operations), then acks.
 */
@Injectable()
export class InboxWorker extends WorkerService<InboxItem> {
  private readonly logger = busLogger('Inbox');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(NODE_ID) private readonly nodeId: string,
    @Inject(INBOX_HANDLER) private readonly handler: InboxHandler,
    @Inject(COPY_STORE) private readonly copies: CopyStore,
  ) {
    super();
  }

  protected createWorker(): JetStreamWorker<InboxItem> {
    const node = this.nodeId;
    return new JetStreamWorker<InboxItem>({
      bus: this.bus,
      consumer: inboxConsumer(node),
      service: node,
      logger: this.logger,
      decode: (msg) => ({
        envelope: decodeEnvelope(msg.data),
        sha256: sha256Hex(msg.data),
        correlationId: msg.headers?.get(Headers.correlationId) ?? '',
      }),
      handle: async ([item]) => {
        const { envelope, sha256, correlationId } = item.value;
        const operations = await this.handler.handle(item.value);
        if (envelope.payload.case === 'recall') {
          operations.push(await this.eraseRecalled(envelope, envelope.payload.value, correlationId));
        } else if (envelope.payload.case && !NOT_KEPT.has(envelope.payload.case)) {
          this.copies.keep(envelope);
        }
        const base = {
          actorNode: node,
          actorPerson: `${node}.inbox`,
          messageId: envelope.id,
          messageType: envelope.payload.case ?? '',
          handlingCode: envelope.handlingCode,
          tlp: envelope.tlp,
          messageSha256: sha256,
          correlationId,
        };
        await publishAuditEvent(
          this.bus.js,
          node,
          newAuditEvent({
            ...base,
            eventId: nameBasedId(node, envelope.id, 'received'),
            operation: AuditOperation.RECEIVED,
            counterpartNode: envelope.sender,
          }),
        );
        for (const op of operations) {
          await publishAuditEvent(
            this.bus.js,
            node,
            newAuditEvent({
              ...base,
              eventId: nameBasedId(node, envelope.id, op.key),
              operation: op.operation,
              ...(op.messageId ? { messageId: op.messageId } : {}),
              counterpartNode: op.counterpart ?? '',
              detailJson: op.detail ? JSON.stringify(op.detail) : '',
            }),
          );
        }
        this.logger.log(
          `received ${base.messageType} ${envelope.id} from ${envelope.sender} [${correlationId}]`,
        );
      },
      onDeadLetter: (msg, reason) =>
        publishAuditEvent(this.bus.js, node, deadLetterAuditEvent(msg, reason, node, `${node}.inbox`)),
    });
  }

  /** Erases the recalled item and what was derived from it, then confirms to the originator. */
  private async eraseRecalled(
    recallEnvelope: Envelope,
    recall: Recall,
    correlationId: string,
  ): Promise<NodeOperation> {
    const copy = this.copies.get(recall.messageId);
    const hadCopy = this.copies.erase(recall.messageId);
    await this.handler.erase?.(recall.messageId);
    const receipt = erasureReceiptFor(this.nodeId, recallEnvelope, recall, copy, Date.now());
    await publishDurably(this.bus.js, Subjects.submit(this.nodeId), encodeEnvelope(receipt), {
      msgID: receipt.id,
      headers: correlationId ? { [Headers.correlationId]: correlationId } : undefined,
    });
    this.logger.log(`erased ${recall.messageId} (recall ${recallEnvelope.id}); confirmed with ${receipt.id}`);
    return {
      operation: AuditOperation.ERASED,
      key: 'erased',
      messageId: recall.messageId,
      counterpart: copy?.sender ?? recallEnvelope.sender,
      detail: { recall: recallEnvelope.id, reason: RecallReason[recall.reason], hadCopy },
    };
  }
}
