import { describe, expect, it } from '@jest/globals';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  AcknowledgementSchema,
  AuditOperation,
  DeliveryReceiptSchema,
  EnvelopeSchema,
  ErasureReceiptSchema,
  nameBasedId,
  RecallReason,
  RecallSchema,
  RouteReportSchema,
  ShareDecisionSchema,
  ShareRequestSchema,
} from '#contracts';
import { concernedItemId, receivedEvent, type InboxItem } from './inbox-worker.js';

const NODE = 'cp-it';
/** The item the control messages below are about. */
const ITEM = '0193a1b2-0000-7000-8000-0000000000aa';
const ID = '0193a1b2-0000-7000-8000-0000000000c1';

const inboxItem = (payload: MessageInitShape<typeof EnvelopeSchema>['payload']): InboxItem => ({
  envelope: create(EnvelopeSchema, { id: ID, sender: 'emlo-ne', recipients: [NODE], payload }),
  itemId: ID,
  sha256: 'ab'.repeat(32),
  correlationId: 'corr-1',
});

const controls: [string, InboxItem][] = [
  [
    'an acknowledgement',
    inboxItem({ case: 'acknowledgement', value: create(AcknowledgementSchema, { messageId: ITEM }) }),
  ],
  [
    'a share request',
    inboxItem({ case: 'shareRequest', value: create(ShareRequestSchema, { messageId: ITEM }) }),
  ],
  [
    'a share decision',
    inboxItem({
      case: 'shareDecision',
      value: create(ShareDecisionSchema, { requestId: 'r1', messageId: ITEM, granted: false }),
    }),
  ],
  [
    'a recall',
    inboxItem({
      case: 'recall',
      value: create(RecallSchema, { messageId: ITEM, reason: RecallReason.INACCURATE }),
    }),
  ],
  [
    'an erasure receipt',
    inboxItem({
      case: 'erasureReceipt',
      value: create(ErasureReceiptSchema, { messageId: ITEM, recallId: 'x' }),
    }),
  ],
];

describe("a node's received row of a control message belongs to the trail of the item it concerns", () => {
  it.each(controls)('names the item that %s concerns', (_, item) => {
    expect(concernedItemId(item.envelope)).toBe(ITEM);
    const event = receivedEvent(NODE, item);
    expect(event).toMatchObject({
      eventId: nameBasedId(NODE, ID, 'received'),
      operation: AuditOperation.RECEIVED,
      actorNode: NODE,
      actorPerson: `${NODE}.inbox`,
      counterpartNode: 'emlo-ne',
      messageId: ID,
      messageType: item.envelope.payload.case,
      messageSha256: 'ab'.repeat(32),
      correlationId: 'corr-1',
    });
    expect(JSON.parse(event.detailJson)).toEqual({ concerns: ITEM });
  });

  it('names no other item for intelligence or for a delivery receipt', () => {
    const intelligence = inboxItem({ case: 'routeReport', value: create(RouteReportSchema, {}) });
    const receipt = inboxItem({
      case: 'deliveryReceipt',
      value: create(DeliveryReceiptSchema, { messageId: ITEM }),
    });
    for (const item of [intelligence, receipt]) {
      expect(concernedItemId(item.envelope)).toBeUndefined();
      const event = receivedEvent(NODE, item);
      expect(event.operation).toBe(AuditOperation.RECEIVED);
      expect(event.detailJson).toBe('');
    }
  });

  it('names nothing when a control message carries no item id', () => {
    const empty = inboxItem({ case: 'acknowledgement', value: create(AcknowledgementSchema, {}) });
    expect(concernedItemId(empty.envelope)).toBeUndefined();
    expect(receivedEvent(NODE, empty).detailJson).toBe('');
  });
});
