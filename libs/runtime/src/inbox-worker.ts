import { Inject, Injectable } from '@nestjs/common';
import {
  AuditOperation,
  decodeEnvelope,
  nameBasedId,
  newAuditEvent,
  sha256Hex,
  type Envelope,
} from '#contracts';
import {
  deadLetterAuditEvent,
  Headers,
  inboxConsumer,
  JetStreamWorker,
  publishAuditEvent,
  type Bus,
} from '#messaging';
import { busLogger } from './bootstrap.js';
import { BUS } from './bus.module.js';
import { WorkerService } from './worker-service.js';

/** Injection tokens of a node app. */
export const NODE_ID = Symbol('MSX_NODE_ID');
export const INBOX_HANDLER = Symbol('MSX_INBOX_HANDLER');

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
  counterpart?: string;
  detail?: Record<string, unknown>;
}

/** What a node app does with each item of its inbox; must be idempotent by envelope id (items can come twice). */
export interface InboxHandler {
  handle(item: InboxItem): Promise<NodeOperation[]>;
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
}
