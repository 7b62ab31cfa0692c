import { Inject, Injectable } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import {
  assertValidEnvelopeJson,
  AuditOperation,
  concernedMessageId,
  encodeEnvelope,
  envelopeToJson,
  keyIdOf,
  MsxError,
  nameBasedId,
  newAuditEvent,
  PAYLOAD_KINDS,
  RecallReason,
  type AuditEvent,
  type Envelope,
  type ErrorCode,
  type Recall,
} from '#contracts';
import {
  auditDeadLetters,
  Headers,
  inboxConsumer,
  inboxStream,
  JetStreamWorker,
  publishAuditEvent,
  publishDurably,
  Subjects,
  type Bus,
} from '#messaging';
import {
  BUS,
  busLogger,
  checkDeliveredCopy,
  ServiceMetrics,
  stopping,
  WorkerService,
  type RefusedCopy,
} from '#runtime';
import { erasureReceiptFor } from './erasure-receipt.js';
import { ERASED_COPY, type HoldingsStore } from './holdings/holdings-store.js';
import { NodeErasure } from './node-erasure.js';
import { HOLDINGS, INBOX_HANDLER, NODE_ID, ROUTER_PUBLIC_KEY } from './node-app.tokens.js';

const DAY_MS = 86_400_000;

/**
 * The item a control message concerns (acknowledgement, share request, share decision, recall, erasure
 * receipt), or undefined for anything else: the node's rows of it belong to that item's trail too.
 */
export function concernedItemId(envelope: Envelope): string | undefined {
  return concernedMessageId(envelope) || undefined;
}

/** An item taken from the node's inbox. */
export interface InboxItem {
  envelope: Envelope;
  /** The item it is a copy of: the envelope's own id, or for a forwarded copy the item the router named. */
  itemId: string;
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
  /** The rule that decided it, for an operation not carried out (for example NODE.NOT_HELD). */
  rule?: string;
  detail?: Record<string, unknown>;
}

/** What a node app does with each item of its inbox; must be idempotent by envelope id (items can come twice). */
export interface InboxHandler {
  handle(item: InboxItem): Promise<NodeOperation[]>;
  /**
   * Stops every further use of a recalled item by the handler and states what it keeps or passed on of it
   * outside the node's holdings, as `<kind>:<reference>` (a list entry, a national dispatch withdrawn or
   * recalled). Called before the holdings are erased, and called again after a failure in between, so it
   * must give the same answer then; the erasure account lists these entries before {@link erase} removes
   * the records.
   */
  beginErasure?(itemId: string, recall: RecallNotice): Promise<string[]>;
  erase?(itemId: string, recall: RecallNotice): Promise<void>;
}

/** The recall that asked for an erasure, as a handler passes it on. */
export interface RecallNotice {
  /** The recall's envelope id. */
  id: string;
  /** Who recalled: the originator, or the router on expiry. */
  sender: string;
  /** The recall's reason, as named in the contract (for example `ORIGINATOR_WITHDREW`). */
  reason: string;
}

/** What every audit row a node writes about an inbox item shares. */
function auditBase(node: string, { envelope, sha256, correlationId }: InboxItem) {
  return {
    actorNode: node,
    actorPerson: `${node}.inbox`,
    messageId: envelope.id,
    messageType: envelope.payload.case ?? '',
    handlingCode: envelope.handlingCode,
    tlp: envelope.tlp,
    messageSha256: sha256,
    correlationId,
  };
}

/**
 * The `received` row of a vouched copy, the same on every redelivery; for a control message it names the
 * item it concerns in `detail.concerns`, like the router's rows of it.
 */
export function receivedEvent(node: string, item: InboxItem): AuditEvent {
  const { envelope } = item;
  const concerns = concernedItemId(envelope);
  return newAuditEvent({
    ...auditBase(node, item),
    eventId: nameBasedId(node, envelope.id, 'received'),
    operation: AuditOperation.RECEIVED,
    counterpartNode: envelope.sender,
    ...(concerns ? { detailJson: JSON.stringify({ concerns }) } : {}),
  });
}

/** A copy taken from the inbox: an item the router vouched for, or a copy refused before anything else. */
type InboxCopy = { item: InboxItem; refused?: undefined } | { item?: undefined; refused: RefusedCopy };

/**
 * Reads a node's own inbox through its durable consumer, in order, once. Before anything else it checks
 * that the router vouched for the copy (DESIGN §4): a copy that is not vouched for is never handed to the
 * handler, recorded as received, dispatched or kept; it is audited as `rejected` with the refusal code and
 * acked, so it is not redelivered (it stays in the inbox stream for its retention). A vouched copy has its
 * envelope checked against the contract, goes to the node's handler, is audited `received` (with the
 * handler's operations) and then acked. The node never writes to the dead-letter stream: a copy it gives up
 * on stays in its inbox stream and is recorded by an audit event only.
 */
@Injectable()
export class InboxWorker extends WorkerService<InboxCopy> {
  private readonly logger = busLogger('Inbox');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(NODE_ID) private readonly nodeId: string,
    @Inject(INBOX_HANDLER) private readonly handler: InboxHandler,
    @Inject(HOLDINGS) private readonly holdings: HoldingsStore,
    @Inject(ROUTER_PUBLIC_KEY) private readonly routerPublicKey: Uint8Array,
    private readonly erasure: NodeErasure,
    private readonly metrics: ServiceMetrics,
  ) {
    super();
    // Declared at start, so that /metrics shows it before the first copy.
    metrics.deliveryLatency();
  }

  protected createWorker(): JetStreamWorker<InboxCopy> {
    const node = this.nodeId;
    this.logger.log(`accepting only copies vouched for with router key ${keyIdOf(this.routerPublicKey)}`);
    return new JetStreamWorker<InboxCopy>({
      bus: this.bus,
      consumer: inboxConsumer(node),
      service: node,
      logger: this.logger,
      deadLetters: auditDeadLetters(this.bus.js, node, `${node}.inbox`, inboxStream(node).maxAgeMs / DAY_MS),
      decode: (msg) => {
        const copy = checkDeliveredCopy(this.routerPublicKey, node, msg.data, (name) =>
          msg.headers?.get(name),
        );
        if (!copy.vouched) return { refused: copy };
        // The router checked the contract before vouching; a copy that breaks it anyway (versions apart)
        // is given up on here: ContractViolationError is permanent.
        assertValidEnvelopeJson(envelopeToJson(copy.envelope));
        return {
          item: {
            envelope: copy.envelope,
            itemId: copy.decision === 'forwarded' && copy.item ? copy.item : copy.envelope.id,
            sha256: copy.sha256,
            correlationId: msg.headers?.get(Headers.correlationId) ?? '',
          },
        };
      },
      handle: async (batch) => {
        for (const { msg, value } of batch) {
          if (value.refused) await this.refuse(msg, value.refused);
          else {
            await this.accept(value.item);
            // From the copy's storage in the inbox stream (the broker's stamp) to its handling, before the ack.
            this.metrics.observeDelivery('handled', msg.time.getTime());
          }
        }
      },
    });
  }

  /**
   * Audits a copy the router did not vouch for as refused; its contents are neither used nor logged. A copy
   * signed with a key other than the pinned one is held instead: that is how every delivery looks when the
   * node was given the wrong key or the router's key changed, and acking them would lose the node's backlog.
   * The inbox waits, in order, until an operator pins the right key and restarts the node.
   * @throws MsxError `DELIVERY.UNKNOWN_KEY` (a hold) for such a copy
   */
  private async refuse(msg: JsMsg, copy: RefusedCopy): Promise<void> {
    const node = this.nodeId;
    const { stream, streamSequence: sequence } = msg.info;
    if (copy.code === 'DELIVERY.UNKNOWN_KEY') {
      this.logger.error(
        `${stream} #${sequence} is signed with a router key other than the one pinned in MSX_ROUTER_KEY_FILE ` +
          `(${keyIdOf(this.routerPublicKey)}); the inbox waits until the right key is configured`,
      );
      throw new MsxError('DELIVERY.UNKNOWN_KEY', copy.reason, { hold: true });
    }
    await publishAuditEvent(
      this.bus.js,
      node,
      newAuditEvent({
        eventId: nameBasedId(`${node}.inbox`, stream, String(sequence), 'refused'),
        operation: AuditOperation.REJECTED,
        actorNode: node,
        actorPerson: `${node}.inbox`,
        messageId: copy.messageId ?? '',
        messageSha256: copy.sha256,
        rule: copy.code,
        detailJson: JSON.stringify({ reason: copy.reason, stream, sequence }),
      }),
    );
    this.logger.warn(`refused ${stream} #${sequence}: ${copy.code}`);
  }

  /** Closes the holdings once the worker has stopped taking items. */
  override async onApplicationShutdown(): Promise<void> {
    await super.onApplicationShutdown();
    await stopping('holdings database', () => this.holdings.close());
  }

  /**
   * Keeps a vouched item in the node's holdings (a kind that is kept), hands it to the node's handler, erases
   * what it must, and audits it. A copy of an item the node erased already (a late redelivery) is neither
   * kept nor handed on again.
   */
  private async accept(item: InboxItem): Promise<void> {
    const node = this.nodeId;
    const { envelope, correlationId } = item;
    const kept = envelope.payload.case && PAYLOAD_KINDS[envelope.payload.case].kept;
    if (envelope.consentRef && item.itemId === envelope.id)
      this.logger.warn(
        `${envelope.id} is a forward whose voucher names no item; it is kept as an item of its own`,
      );
    if (kept && !(await this.holdings.keep(envelope, item.sha256, item.itemId))) {
      this.logger.warn(
        `${envelope.id} came again after its item ${item.itemId} was erased; it is not kept or used`,
      );
      await publishAuditEvent(this.bus.js, node, receivedEvent(node, item));
      return;
    }
    const operations = await this.handler.handle(item);
    if (envelope.payload.case === 'recall')
      operations.push(await this.eraseRecalled(envelope, envelope.payload.value, correlationId));
    const base = auditBase(node, item);
    await publishAuditEvent(this.bus.js, node, receivedEvent(node, item));
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
          ...(op.rule ? { rule: op.rule } : {}),
          detailJson: op.detail ? JSON.stringify(op.detail) : '',
        }),
      );
    }
    this.logger.log(`received ${base.messageType} ${envelope.id} from ${envelope.sender} [${correlationId}]`);
  }

  /**
   * Erases the recalled item and what was derived from it, from the node's holdings and the handler's own
   * records, and confirms to the originator with what was erased. The account is stored before the
   * handler's records go, so a retry after a failure in between answers the same. A node that holds nothing
   * of the item and has no account of erasing it states no erasure: it audits the recall as not carried out,
   * with rule NODE.NOT_HELD. That is so when the router withdrew the copy from the inbox before the node took
   * it, and when the node's holdings were lost or restored from before the delivery.
   */
  private async eraseRecalled(
    recallEnvelope: Envelope,
    recall: Recall,
    correlationId: string,
  ): Promise<NodeOperation> {
    const id = recall.messageId;
    const reason = RecallReason[recall.reason];
    const notice: RecallNotice = { id: recallEnvelope.id, sender: recallEnvelope.sender, reason };
    const account = await this.erasure.erase(id, notice);
    if (!account) {
      this.logger.warn(
        `recall ${recallEnvelope.id} of ${id}: this node holds no copy and no record of it and never erased it ` +
          `(the copy was withdrawn before it was taken, or the holdings lost it); no erasure is confirmed`,
      );
      return {
        operation: AuditOperation.REJECTED,
        key: 'erasure-not-held',
        messageId: id,
        counterpart: recallEnvelope.sender,
        rule: 'NODE.NOT_HELD' satisfies ErrorCode,
        detail: {
          recall: recallEnvelope.id,
          reason,
          statement: 'the node holds no copy and no record of the item, and has no account of erasing it',
        },
      };
    }
    const receipt = erasureReceiptFor(this.nodeId, recallEnvelope, account, Date.now(), this.bus.idKey);
    await publishDurably(this.bus.js, Subjects.submit(this.nodeId), encodeEnvelope(receipt), {
      msgID: receipt.id,
      headers: correlationId ? { [Headers.correlationId]: correlationId } : undefined,
    });
    // Counts only: the entries name vessels and other selectors, which do not belong in a log.
    this.logger.log(
      `erased ${id} (${account.erased.length} entr${account.erased.length === 1 ? 'y' : 'ies'}; recall ` +
        `${recallEnvelope.id}); confirmed with ${receipt.id}`,
    );
    return {
      operation: AuditOperation.ERASED,
      key: 'erased',
      messageId: id,
      counterpart: account.originator ?? recallEnvelope.sender,
      detail: {
        recall: recallEnvelope.id,
        reason,
        erased: account.erased,
        hadCopy: account.erased.includes(ERASED_COPY),
        erasedAt: account.erasedAt.toISOString(),
      },
    };
  }
}
