import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  AcknowledgementSchema,
  EnvelopeSchema,
  nameBasedId,
  ReleasabilityScope,
  ReleasabilitySchema,
  type Envelope,
} from '#contracts';

/**
 * A node's acknowledgement that it received an item, to the item's originator: marked like the item, in its
 * thread. Its id depends on the node and the item only, so acknowledging again is the same message.
 */
export function acknowledgementFor(
  node: string,
  idKey: string,
  item: Envelope,
  receivedAtMs: number,
): Envelope {
  return create(EnvelopeSchema, {
    id: nameBasedId(idKey, node, item.id, 'acknowledgement'),
    threadId: item.threadId || item.id,
    inReplyTo: item.id,
    sender: node,
    author: `${node}.inbox`,
    createdAt: timestampFromMs(receivedAtMs),
    recipients: [item.sender],
    route: item.route,
    handlingCode: item.handlingCode,
    handlingRestriction: item.handlingRestriction,
    tlp: item.tlp,
    releasability: create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }),
    payload: {
      case: 'acknowledgement',
      value: create(AcknowledgementSchema, { messageId: item.id, receivedAt: timestampFromMs(receivedAtMs) }),
    },
  });
}
