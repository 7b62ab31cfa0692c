import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  EnvelopeSchema,
  RecallReason,
  RecallSchema,
  ReleasabilityScope,
  ReleasabilitySchema,
  ROUTER_NODE,
  type Envelope,
} from '#contracts';
import type { LedgerItem } from '../ledger/ledger.js';
import { routerId, type RouterKeys } from '../vouch-deliveries/router-keys.js';

/** The router's recall of an expired item, addressed to everyone who received it; the same id on every retry. */
export function expiryRecallFor(item: LedgerItem, nowMs: number, keys: RouterKeys): Envelope {
  return create(EnvelopeSchema, {
    id: routerId(keys, item.messageId, 'expiry-recall'),
    threadId: item.messageId,
    inReplyTo: item.messageId,
    sender: ROUTER_NODE,
    author: ROUTER_NODE,
    createdAt: timestampFromMs(nowMs),
    recipients: item.recipients,
    handlingCode: item.handlingCode,
    tlp: item.tlp,
    releasability: create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }),
    payload: {
      case: 'recall',
      value: create(RecallSchema, {
        messageId: item.messageId,
        reason: RecallReason.EXPIRED,
        explanation: 'retention period ended',
      }),
    },
  });
}
