import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  EnvelopeSchema,
  ErasureReceiptSchema,
  nameBasedId,
  ReleasabilityScope,
  ReleasabilitySchema,
  ROUTER_NODE,
  type Envelope,
  type Recall,
} from '#contracts';

/**
 * A node's confirmation that it erased a recalled item, addressed to the originator (known from the copy,
 * or the recall's sender). Its id is derived from the recall with the node's own secret `idKey` (see
 * `Bus.idKey`): a redelivered recall confirms once, and no other recipient of the recall can compute the id
 * and take it first (an id belongs to whoever uses it first, POLICY.ID_ALREADY_USED).
 */
export function erasureReceiptFor(
  node: string,
  recallEnvelope: Envelope,
  recall: Recall,
  copy: Envelope | undefined,
  nowMs: number,
  idKey: string,
): Envelope {
  const originator =
    copy?.sender ?? (recallEnvelope.sender === ROUTER_NODE ? undefined : recallEnvelope.sender);
  return create(EnvelopeSchema, {
    id: nameBasedId(idKey, node, recallEnvelope.id, 'erasure-receipt'),
    threadId: recall.messageId,
    inReplyTo: recallEnvelope.id,
    sender: node,
    author: `${node}.inbox`,
    createdAt: timestampFromMs(nowMs),
    recipients: originator && originator !== node ? [originator] : [],
    handlingCode: recallEnvelope.handlingCode,
    handlingRestriction: recallEnvelope.handlingRestriction,
    tlp: recallEnvelope.tlp,
    releasability: create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }),
    payload: {
      case: 'erasureReceipt',
      value: create(ErasureReceiptSchema, {
        messageId: recall.messageId,
        recallId: recallEnvelope.id,
        erasedAt: timestampFromMs(nowMs),
      }),
    },
  });
}
