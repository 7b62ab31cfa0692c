import { create } from '@bufbuild/protobuf';
import {
  AuditOperation,
  DecisionOutcome,
  DeliveryReceiptSchema,
  EnvelopeSchema,
  MsxError,
  nameBasedId,
  newAuditEvent,
  RecipientDecisionSchema,
  sha256Hex,
  timestampFromMs,
  type AuditEvent,
  type Envelope,
} from '#contracts';
import type { Directory } from '#directory';
import { decideRecipients, type Decision } from '#policy';

/** The node id under which the router speaks (receipts, audit events). */
export const ROUTER_NODE = 'msx-router';

/** A submission as the router received it. */
export interface Submission {
  envelope: Envelope;
  /** The exact bytes received; forwarded unchanged, so every party hashes the same bytes. */
  bytes: Uint8Array;
  /** The node whose submit subject carried it (`msx.submit.<node>`). */
  publisher: string;
  correlationId: string;
}

/** Everything the router must publish for one submission; computed without I/O. */
export interface RoutingPlan {
  decisions: Decision[];
  /** Recipients whose inbox gets the original bytes, with the deduplication id of each copy. */
  deliveries: { node: string; msgID: string }[];
  /** The receipt for the sender. */
  receipt: { envelope: Envelope; msgID: string };
  /** `submitted`, then one `delivered` or `withheld` per candidate. */
  auditEvents: AuditEvent[];
}

/** The node id in a submit subject `msx.submit.<node>`. */
export function publisherOf(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}

/**
 * Decides who receives a submission and what is audited. Pure: the consumer does the publishing.
 * @throws MsxError `POLICY.SENDER_NOT_PUBLISHER` (permanent) when the envelope claims another sender than
 *   the node whose subject carried it
 */
export function planRouting(s: Submission, directory: Directory, nowMs: number = Date.now()): RoutingPlan {
  const { envelope } = s;
  if (envelope.sender !== s.publisher) {
    throw new MsxError(
      'POLICY.SENDER_NOT_PUBLISHER',
      `envelope ${envelope.id} names sender ${envelope.sender} but was published by ${s.publisher}`,
    );
  }
  const decisions = decideRecipients(envelope, directory, nowMs);
  const sha256 = sha256Hex(s.bytes);
  const common = {
    actorPerson: envelope.author,
    messageId: envelope.id,
    messageType: envelope.payload.case ?? '',
    handlingCode: envelope.handlingCode,
    tlp: envelope.tlp,
    messageSha256: sha256,
    correlationId: s.correlationId,
  };
  const auditEvents = [
    newAuditEvent(
      {
        ...common,
        eventId: nameBasedId(envelope.id, 'submitted'),
        operation: AuditOperation.SUBMITTED,
        actorNode: envelope.sender,
        detailJson: JSON.stringify({ candidates: decisions.length }),
      },
      nowMs,
    ),
    ...decisions.map((d) =>
      newAuditEvent(
        {
          ...common,
          eventId: nameBasedId(envelope.id, d.outcome, d.recipient),
          operation: d.outcome === 'delivered' ? AuditOperation.DELIVERED : AuditOperation.WITHHELD,
          actorNode: envelope.sender,
          counterpartNode: d.recipient,
          rule: d.rule,
          detailJson: JSON.stringify({ reason: d.reason }),
        },
        nowMs,
      ),
    ),
  ];
  return {
    decisions,
    deliveries: decisions
      .filter((d) => d.outcome === 'delivered')
      .map((d) => ({ node: d.recipient, msgID: `${envelope.id}:${d.recipient}` })),
    receipt: { envelope: receiptFor(envelope, decisions, nowMs), msgID: `${envelope.id}:receipt` },
    auditEvents,
  };
}

/** The sender's receipt: per candidate recipient, delivered or withheld with the rule. Same handling as the item. */
export function receiptFor(envelope: Envelope, decisions: Decision[], nowMs: number): Envelope {
  return create(EnvelopeSchema, {
    id: nameBasedId(envelope.id, 'receipt'),
    threadId: envelope.threadId || envelope.id,
    inReplyTo: envelope.id,
    sender: ROUTER_NODE,
    author: ROUTER_NODE,
    createdAt: timestampFromMs(nowMs),
    recipients: [envelope.sender],
    route: envelope.route,
    handlingCode: envelope.handlingCode,
    handlingRestriction: envelope.handlingRestriction,
    tlp: envelope.tlp,
    releasability: envelope.releasability,
    expiresAt: envelope.expiresAt,
    payload: {
      case: 'deliveryReceipt',
      value: create(DeliveryReceiptSchema, {
        messageId: envelope.id,
        decisions: decisions.map((d) =>
          create(RecipientDecisionSchema, {
            recipient: d.recipient,
            outcome: d.outcome === 'delivered' ? DecisionOutcome.DELIVERED : DecisionOutcome.WITHHELD,
            rule: d.rule,
            reason: d.reason,
          }),
        ),
      }),
    },
  });
}
