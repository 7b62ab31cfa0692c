import { timestampMs } from '@bufbuild/protobuf/wkt';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditOperation, envelopeToJson, HandlingCode, nameBasedId, PAYLOAD_KINDS, Tlp } from '#contracts';
import { NODE_ID, type InboxHandler, type InboxItem, type NodeOperation, type RecallNotice } from '#node-app';
import { dispatchRefusal } from './dispatch-rules.js';
import { RECALL_PASSED_ON, type DispatchQueue, type NewDispatch } from './dispatch-queue.js';
import { DISPATCH_QUEUE, NATIONAL_AUTHORITIES, NationalDispatcher } from './national-dispatcher.js';
import { authoritiesFor, type NationalAuthorities } from './national-authorities.js';

/** The id of a dispatch: the same for the same copy (or recall) and authority, however often it is queued. */
export const dispatchIdOf = (node: string, messageId: string, kind: 'item' | 'recall', authority: string) =>
  nameBasedId(node, messageId, `national-${kind}`, authority);

/**
 * A contact point is its member state's hub: it passes what it receives to the national authorities that
 * take the type (MSX_DISPATCH_FILE), as far as the item's handling code and TLP allow. What a rule keeps
 * from an authority is audited as withheld, with the rule; what may go is queued in the node's holdings and
 * sent by the {@link NationalDispatcher}, which audits each dispatch once the authority accepted it. A recall
 * withdraws what was not sent yet and is passed on to every authority that was sent the item.
 */
@Injectable()
export class NationalDispatchHandler implements InboxHandler {
  private readonly logger = new Logger('NationalDispatch');

  constructor(
    @Inject(NODE_ID) private readonly nodeId: string,
    @Inject(NATIONAL_AUTHORITIES) private readonly config: NationalAuthorities,
    @Inject(DISPATCH_QUEUE) private readonly queue: DispatchQueue,
    private readonly dispatcher: NationalDispatcher,
  ) {}

  async handle({ envelope, itemId, sha256 }: InboxItem): Promise<NodeOperation[]> {
    const type = envelope.payload.case;
    if (!type || PAYLOAD_KINDS[type].family === 'control') return [];
    const operations: NodeOperation[] = [];
    const queued: NewDispatch[] = [];
    const now = Date.now();
    for (const authority of authoritiesFor(this.config.authorities, type)) {
      const refusal = dispatchRefusal(envelope, authority, now);
      if (refusal) {
        operations.push({
          operation: AuditOperation.WITHHELD,
          key: `dispatch:${authority.id}`,
          counterpart: `${this.nodeId}/${authority.id}`,
          rule: refusal.rule,
          detail: { authority: authority.id, authorityKind: authority.kind, reason: refusal.reason },
        });
        continue;
      }
      const dispatchId = dispatchIdOf(this.nodeId, envelope.id, 'item', authority.id);
      queued.push({
        dispatchId,
        itemId,
        messageId: envelope.id,
        kind: 'item',
        authority: authority.id,
        messageType: type,
        handlingCode: HandlingCode[envelope.handlingCode],
        tlp: Tlp[envelope.tlp],
        sha256,
        purpose: envelope.purpose,
        ...(envelope.expiresAt ? { expiresAt: new Date(timestampMs(envelope.expiresAt)) } : {}),
        body: new TextEncoder().encode(
          JSON.stringify({
            kind: 'item',
            dispatch: dispatchId,
            contactPoint: this.nodeId,
            authority: authority.id,
            item: envelopeToJson(envelope),
          }),
        ),
      });
    }
    await this.queue.enqueue(queued);
    if (queued.length > 0) {
      this.logger.log(`${type} ${envelope.id} queued for ${queued.map((q) => q.authority).join(', ')}`);
      this.dispatcher.wake();
    }
    return operations;
  }

  /** Withdraws what was not sent yet and states, per authority, whether the item was withdrawn or reached it. */
  beginErasure(itemId: string): Promise<string[]> {
    return this.queue.withdraw(itemId);
  }

  /** Passes the recall on to every authority that was sent the item. */
  async erase(itemId: string, recall: RecallNotice): Promise<void> {
    const to = await this.queue.queueRecalls(itemId, (authority) => {
      const dispatchId = dispatchIdOf(this.nodeId, recall.id, 'recall', authority);
      return {
        dispatchId,
        body: new TextEncoder().encode(
          JSON.stringify({
            kind: 'recall',
            dispatch: dispatchId,
            contactPoint: this.nodeId,
            authority,
            recall: { item: itemId, recall: recall.id, recalledBy: recall.sender, reason: recall.reason },
            instruction: 'erase the item and everything derived from it, and stop using it',
          }),
        ),
      };
    });
    if (to.length > 0) {
      this.logger.log(`recall of ${itemId} queued for ${to.join(', ')} (${RECALL_PASSED_ON})`);
      this.dispatcher.wake();
    }
  }
}
