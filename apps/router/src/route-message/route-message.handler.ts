import { create } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import {
  AuditOperation,
  DecisionOutcome,
  DeliveryReceiptSchema,
  EnvelopeSchema,
  MsxError,
  nameBasedId,
  newAuditEvent,
  RecallReason,
  RecallSchema,
  RecipientDecisionSchema,
  ReleasabilityScope,
  ReleasabilitySchema,
  sha256Hex,
  toBinaryPayload,
  type AuditEvent,
  type Envelope,
} from '#contracts';
import type { Directory } from '#directory';
import {
  concernedMessageId,
  decideRecipients,
  isForward,
  ROUTER_NODE,
  type ConsentRecord,
  type Decision,
  type PolicyFacts,
  type ShareRequestRecord,
} from '#policy';
import type { LedgerItem } from '../ledger/ledger.js';

export { ROUTER_NODE };

/** A submission as the router received it. */
export interface Submission {
  envelope: Envelope;
  /** The exact bytes received; forwarded unchanged, so every party hashes the same bytes. */
  bytes: Uint8Array;
  /** The node whose submit subject carried it (`msx.submit.<node>`). */
  publisher: string;
  correlationId: string;
}

/** What the ledger must remember once the deliveries are confirmed. */
export interface LedgerWrites {
  /** The item as it stands after this submission (new, forwarded further, or recalled). */
  item?: LedgerItem;
  payloadIndex?: { payloadSha256: string; messageId: string };
  request?: ShareRequestRecord;
  consent?: ConsentRecord;
}

/** Everything the router must do for one submission; computed without I/O. */
export interface RoutingPlan {
  decisions: Decision[];
  /** Recipients whose inbox gets the original bytes, with the deduplication id of each copy. */
  deliveries: { node: string; msgID: string }[];
  /** The receipt for the sender; none for the router's own recalls. */
  receipt?: { envelope: Envelope; msgID: string };
  /** `submitted`, then one `delivered`, `forwarded` or `withheld` per candidate. */
  auditEvents: AuditEvent[];
  ledger: LedgerWrites;
  /** Inbox copies of a recalled item to remove from the recipients' streams. */
  deleteCopies: { node: string; seq: number }[];
}

/** The node id in a submit subject `msx.submit.<node>`. */
export function publisherOf(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}

/** SHA-256 of the payload alone: the same intelligence has the same hash whoever wraps it. */
export function payloadSha256(envelope: Envelope): string {
  return sha256Hex(toBinaryPayload(envelope));
}

/** The ledger lookups a submission needs, by kind: the item a control message or forward concerns, and so on. */
export interface FactsNeeded {
  itemId?: string;
  consentId?: string;
  requestId?: string;
  payloadSha256: string;
  /** Intelligence is checked against items already in the exchange (onward sharing in disguise). */
  checkSamePayload: boolean;
}

export function factsNeeded(envelope: Envelope): FactsNeeded {
  const p = envelope.payload;
  return {
    itemId: concernedMessageId(envelope),
    consentId: isForward(envelope) ? envelope.consentRef : undefined,
    requestId: p.case === 'shareDecision' ? p.value.requestId : undefined,
    payloadSha256: payloadSha256(envelope),
    checkSamePayload: !isForward(envelope) && concernedMessageId(envelope) === undefined,
  };
}

/**
 * Decides who receives a submission, what is audited and what the ledger remembers. Pure: the consumer
 * looks up the facts before and does the publishing after.
 * @throws MsxError `POLICY.SENDER_NOT_PUBLISHER` (permanent) when the envelope claims another sender than
 *   the node whose subject carried it
 */
export function planRouting(s: Submission, directory: Directory, facts: PolicyFacts): RoutingPlan {
  const { envelope } = s;
  if (envelope.sender !== s.publisher) {
    throw new MsxError(
      'POLICY.SENDER_NOT_PUBLISHER',
      `envelope ${envelope.id} names sender ${envelope.sender} but was published by ${s.publisher}`,
    );
  }
  const nowMs = facts.nowMs;
  const decisions = decideRecipients(envelope, directory, facts);
  const delivered = decisions.filter((d) => d.outcome === 'delivered').map((d) => d.recipient);
  const forward = isForward(envelope);
  const concerns = concernedMessageId(envelope) ?? facts.consent?.messageId;
  const common = {
    actorNode: envelope.sender,
    actorPerson: envelope.author,
    messageId: envelope.id,
    messageType: envelope.payload.case ?? '',
    handlingCode: envelope.handlingCode,
    tlp: envelope.tlp,
    messageSha256: sha256Hex(s.bytes),
    correlationId: s.correlationId,
  };
  const auditEvents = [
    newAuditEvent(
      {
        ...common,
        eventId: nameBasedId(envelope.id, 'submitted'),
        operation: AuditOperation.SUBMITTED,
        detailJson: JSON.stringify({ candidates: decisions.length, ...(concerns ? { concerns } : {}) }),
      },
      nowMs,
    ),
    ...decisions.map((d) =>
      newAuditEvent(
        {
          ...common,
          eventId: nameBasedId(envelope.id, d.outcome, d.recipient),
          operation:
            d.outcome === 'withheld'
              ? AuditOperation.WITHHELD
              : forward
                ? AuditOperation.FORWARDED
                : AuditOperation.DELIVERED,
          counterpartNode: d.recipient,
          rule: d.rule,
          detailJson: JSON.stringify({
            reason: d.reason,
            ...(forward ? { consentRef: envelope.consentRef, original: concerns } : {}),
          }),
        },
        nowMs,
      ),
    ),
  ];
  const ledger = ledgerWrites(envelope, facts, delivered);
  return {
    decisions,
    deliveries: delivered.map((node) => ({ node, msgID: `${envelope.id}:${node}` })),
    receipt:
      envelope.sender === ROUTER_NODE
        ? undefined
        : { envelope: receiptFor(envelope, decisions, nowMs), msgID: `${envelope.id}:receipt` },
    auditEvents,
    ledger,
    deleteCopies:
      envelope.payload.case === 'recall' && delivered.length > 0 && facts.item
        ? Object.entries((facts.item as LedgerItem).copies ?? {}).map(([node, seq]) => ({ node, seq }))
        : [],
  };
}

function ledgerWrites(envelope: Envelope, facts: PolicyFacts, delivered: string[]): LedgerWrites {
  const p = envelope.payload;
  const item = facts.item as LedgerItem | undefined;
  if (delivered.length === 0) return {};
  if (isForward(envelope) && item) {
    return { item: { ...item, recipients: [...new Set([...item.recipients, ...delivered])] } };
  }
  switch (p.case) {
    case 'recall':
      return item ? { item: { ...item, recalled: true } } : {};
    case 'shareRequest':
      return {
        request: {
          requestId: envelope.id,
          messageId: p.value.messageId,
          requester: envelope.sender,
          proposedRecipients: p.value.proposedRecipients,
        },
      };
    case 'shareDecision':
      return {
        consent: {
          decisionId: envelope.id,
          messageId: p.value.messageId,
          originator: envelope.sender,
          requester: facts.request!.requester,
          granted: p.value.granted,
          grantedRecipients: p.value.granted ? p.value.grantedRecipients : [],
          validUntilMs: p.value.validUntil ? timestampMs(p.value.validUntil) : undefined,
        },
      };
    case 'erasureReceipt':
    case 'acknowledgement':
    case 'deliveryReceipt':
    case 'crossCheckRequest':
    case 'hitNotice':
    case undefined:
      return {};
    default:
      return {
        item: {
          messageId: envelope.id,
          originator: envelope.sender,
          type: p.case,
          handlingCode: envelope.handlingCode,
          tlp: envelope.tlp,
          payloadSha256: facts.payloadSha256,
          recipients: delivered,
          expiresAtMs: envelope.expiresAt ? timestampMs(envelope.expiresAt) : undefined,
          copies: {},
        },
        payloadIndex: facts.samePayload
          ? undefined
          : { payloadSha256: facts.payloadSha256, messageId: envelope.id },
      };
  }
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
    releasability: create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }),
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

/** The router's recall of an expired item, addressed to everyone who received it. */
export function expiryRecallFor(item: LedgerItem, nowMs: number): Envelope {
  return create(EnvelopeSchema, {
    id: nameBasedId(item.messageId, 'expiry-recall'),
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
