import { create } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import {
  AuditOperation,
  DecisionOutcome,
  DeliveryReceiptSchema,
  EnvelopeSchema,
  MsxError,
  nameBasedId,
  purposesOf,
  newAuditEvent,
  RecipientDecisionSchema,
  ReleasabilityScope,
  ReleasabilitySchema,
  sha256Hex,
  signDelivery,
  encodeEnvelope,
  toBinaryPayload,
  type AuditEvent,
  type DeliveryDecision,
  concernedMessageId,
  isItemPayload,
  ROUTER_NODE,
  type Envelope,
} from '#contracts';
import type { Directory } from '#directory';
import {
  borrowedSelectorsOf,
  decideSubmission,
  derivedFrom,
  isForward,
  needsOriginatorConsent,
  selectorsOf,
  type ConsentRecord,
  type Decision,
  type IdClaimRecord,
  type PolicyFacts,
  type Refusal,
  type ShareRequestRecord,
  type SubmissionDecision,
} from '#policy';
import type { LedgerItem } from '../ledger/ledger.js';
import { routerId, type RouterKeys } from '../vouch-deliveries/router-keys.js';

/** A submission as the router received it. */
export interface Submission {
  envelope: Envelope;
  /** The exact bytes received; forwarded unchanged, so every party hashes the same bytes. */
  bytes: Uint8Array;
  /** The node whose submit subject carried it (`msx.submit.<node>`). */
  publisher: string;
  /**
   * Its sequence in the submit stream: what tells a redelivery of this submission (same sequence) from
   * another submission under the same envelope id. 0 for the router's own envelopes, which never pass there.
   */
  submitSeq: number;
  correlationId: string;
  /**
   * When the submit stream stored it (its JetStream timestamp), epoch milliseconds: where the router's
   * delivery latency starts. Absent for the router's own envelopes.
   */
  submittedAtMs?: number;
}

/** What the ledger must remember once the deliveries are confirmed. */
export interface LedgerWrites {
  /** The item as it stands after this submission (new, forwarded further, or recalled). */
  item?: LedgerItem;
  payloadIndex?: { payloadSha256: string; messageId: string };
  /** A new item that needs its originator's consent, indexed by its selectors (digests). */
  selectorIndex?: { selectors: string[]; messageId: string; originator: string };
  request?: ShareRequestRecord;
  consent?: ConsentRecord;
}

/** One copy the router puts into an inbox, with its deduplication id and the router's voucher headers. */
export interface PlannedCopy {
  node: string;
  msgID: string;
  /** {@link signDelivery} headers: the router vouches for these bytes, for this recipient. */
  voucher: Record<string, string>;
}

/** Everything the router must do for one submission; computed without I/O. */
export interface RoutingPlan {
  decisions: Decision[];
  /** Set when a submission rule refused the submission as a whole. */
  refusal?: Refusal;
  /** Recipients whose inbox gets the original bytes. */
  deliveries: PlannedCopy[];
  /** The receipt for the sender, encoded and vouched for; none for the router's own recalls. */
  receipt?: { envelope: Envelope; bytes: Uint8Array; msgID: string; voucher: Record<string, string> };
  /**
   * `submitted`, `rejected` when a submission rule refused it, then one `delivered`, `forwarded` or
   * `withheld` per candidate. Their ids derive from the envelope id and the submit sequence, so a redelivery
   * gives the same ids and another submission under the same envelope id never collides with them. Each
   * row of a control message or a forwarded copy names the item it concerns in `detail.concerns`
   * ({@link concernedItemOf}).
   */
  auditEvents: AuditEvent[];
  /** Deduplication id of the message that carries {@link auditEvents}. */
  auditMsgID: string;
  ledger: LedgerWrites;
  /** Inbox copies of a recalled item to remove from the recipients' streams. */
  deleteCopies: { node: string; seq: number }[];
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
  /**
   * Intelligence is checked against items already in the exchange: a new item for onward sharing in
   * disguise, a forwarded copy for the handling of what it forwards (AMBER+STRICT is never forwarded).
   */
  checkSamePayload: boolean;
  /** A new item's selectors (digests), looked up among restricted items; none for anything else. */
  selectors: string[];
}

export function factsNeeded(envelope: Envelope): FactsNeeded {
  const p = envelope.payload;
  const intelligence = concernedMessageId(envelope) === undefined;
  return {
    itemId: concernedMessageId(envelope),
    consentId: isForward(envelope) ? envelope.consentRef : undefined,
    requestId: p.case === 'shareDecision' ? p.value.requestId : undefined,
    payloadSha256: payloadSha256(envelope),
    checkSamePayload: intelligence,
    selectors: intelligence && !isForward(envelope) ? selectorsOf(envelope) : [],
  };
}

/**
 * @throws MsxError `POLICY.SENDER_NOT_PUBLISHER` (permanent) when the envelope claims another sender than
 *   the node whose subject carried it; checked before anything is looked up or claimed in its name
 */
export function checkPublisher({ envelope, publisher }: Submission): void {
  if (envelope.sender !== publisher) {
    throw new MsxError(
      'POLICY.SENDER_NOT_PUBLISHER',
      `envelope ${envelope.id} names sender ${envelope.sender} but was published by ${publisher}`,
    );
  }
}

/**
 * The claim a submission makes on its envelope id: by the node that published it (authenticated by the
 * broker), for these exact bytes, at this submit sequence.
 */
export function idClaimFor(s: Submission, nowMs: number): IdClaimRecord {
  return {
    messageId: s.envelope.id,
    originator: s.publisher,
    sha256: sha256Hex(s.bytes),
    submitSeq: s.submitSeq,
    firstSeenAtMs: nowMs,
  };
}

/**
 * The item whose trail a submission belongs to, besides its own: the item a control message concerns (known
 * or not, so that refused attempts show there too); for a forwarded copy, the item its consent names, or else
 * the item it copies byte for byte. Undefined for intelligence, which has a trail of its own.
 */
export function concernedItemOf(envelope: Envelope, facts: PolicyFacts): string | undefined {
  if (isForward(envelope)) return facts.consent?.messageId ?? facts.samePayload?.messageId;
  return concernedMessageId(envelope);
}

/** What the router vouches a copy of `envelope` is, for the recipient who finds it in its inbox. */
function deliveryDecisionOf(envelope: Envelope): DeliveryDecision {
  if (envelope.payload.case === 'recall') return 'recall';
  return isForward(envelope) ? 'forwarded' : 'delivered';
}

/**
 * Decides who receives a submission, what is audited and what the ledger remembers, and signs every copy.
 * Pure: the service looks up the facts (and claims the envelope id) before and does the publishing after.
 * @throws MsxError `POLICY.SENDER_NOT_PUBLISHER` (permanent), see {@link checkPublisher}
 */
export function planRouting(
  s: Submission,
  directory: Directory,
  facts: PolicyFacts,
  keys: RouterKeys,
): RoutingPlan {
  checkPublisher(s);
  const { envelope } = s;
  const nowMs = facts.nowMs;
  const decision = decideSubmission(envelope, directory, { ...facts, submitSeq: s.submitSeq });
  const { decisions, refusal } = decision;
  const delivered = decisions.filter((d) => d.outcome === 'delivered').map((d) => d.recipient);
  /** Ids of everything about this submission: the envelope id alone is not the submission's (see idNotReused). */
  const seqId = (...parts: string[]) => nameBasedId(envelope.id, 'seq', String(s.submitSeq), ...parts);
  const forward = isForward(envelope);
  const concerns = concernedItemOf(envelope, facts);
  /** Every row of a control message or a forwarded copy belongs to the trail of the item it concerns. */
  const concerning = concerns ? { concerns } : {};
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
        eventId: seqId('submitted'),
        operation: AuditOperation.SUBMITTED,
        detailJson: JSON.stringify({
          candidates: decisions.length,
          ...concerning,
          ...(s.submitSeq ? { submitSeq: s.submitSeq } : {}),
        }),
      },
      nowMs,
    ),
    ...(refusal
      ? [
          newAuditEvent(
            {
              ...common,
              eventId: seqId('rejected'),
              operation: AuditOperation.REJECTED,
              rule: refusal.rule,
              detailJson: JSON.stringify({ reason: refusal.reason, ...concerning }),
            },
            nowMs,
          ),
        ]
      : []),
    ...decisions.map((d) =>
      newAuditEvent(
        {
          ...common,
          eventId: seqId(d.outcome, d.recipient),
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
            ...concerning,
            ...(forward ? { consentRef: envelope.consentRef } : {}),
          }),
        },
        nowMs,
      ),
    ),
  ];
  const ledger = ledgerWrites(envelope, facts, delivered);
  const vouch = deliveryDecisionOf(envelope);
  return {
    decisions,
    refusal,
    deliveries: delivered.map((node) => ({
      node,
      msgID: `${envelope.id}:${node}`,
      // A forwarded copy names the item it is a copy of: the recall of that item reaches it.
      voucher: signDelivery(keys.signer, envelope.id, node, s.bytes, vouch, forward ? concerns : undefined),
    })),
    receipt: envelope.sender === ROUTER_NODE ? undefined : vouchedReceipt(s, decision, nowMs, keys),
    auditEvents,
    auditMsgID: seqId('audit'),
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
  if (isItemPayload(p)) {
    // Only what needs the originator's consent is indexed by its selectors: the rest may be passed on.
    const restricted = needsOriginatorConsent(envelope.handlingCode, envelope.tlp);
    const selectors = restricted ? (facts.selectors ?? selectorsOf(envelope)) : [];
    // A corroboration among holders keeps what it took from whom, so that it never counts against them.
    const borrowed =
      selectors.length > 0 ? borrowedSelectorsOf(selectors, derivedFrom(envelope, facts)) : undefined;
    return {
      item: {
        messageId: envelope.id,
        originator: envelope.sender,
        type: p.case,
        handlingCode: envelope.handlingCode,
        tlp: envelope.tlp,
        payloadSha256: facts.payloadSha256,
        purposes: [...purposesOf(envelope)],
        recipients: delivered,
        expiresAtMs: envelope.expiresAt ? timestampMs(envelope.expiresAt) : undefined,
        ...(selectors.length > 0 ? { selectors } : {}),
        ...(borrowed ? { borrowedSelectors: borrowed } : {}),
        copies: {},
      },
      payloadIndex: facts.samePayload
        ? undefined
        : { payloadSha256: facts.payloadSha256, messageId: envelope.id },
      selectorIndex:
        selectors.length > 0 ? { selectors, messageId: envelope.id, originator: envelope.sender } : undefined,
    };
  }
  // Control messages: every one has its case, so a new one does not compile until it is given one here.
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
    case 'blindIndexUpdate':
    case 'blindQuery':
    case 'blindAnswer':
    case 'blindQueryNotice':
    case undefined:
      return {};
  }
}

/** The sender's receipt, encoded and signed for the sender; its id is the router's own ({@link routerId}). */
function vouchedReceipt(
  s: Submission,
  decision: SubmissionDecision,
  nowMs: number,
  keys: RouterKeys,
): NonNullable<RoutingPlan['receipt']> {
  const id = routerId(keys, s.envelope.id, 'seq', String(s.submitSeq), 'receipt');
  const envelope = receiptFor(s.envelope, decision, nowMs, id);
  const bytes = encodeEnvelope(envelope);
  return {
    envelope,
    bytes,
    msgID: id,
    voucher: signDelivery(keys.signer, id, s.envelope.sender, bytes, 'receipt'),
  };
}

/**
 * The sender's receipt: per candidate recipient, delivered or withheld with the rule, and the refusal when
 * a rule refused the submission as a whole (also when there was no candidate). Same handling as the item.
 */
export function receiptFor(
  envelope: Envelope,
  { decisions, refusal }: SubmissionDecision,
  nowMs: number,
  id: string,
): Envelope {
  return create(EnvelopeSchema, {
    id,
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
        refusedRule: refusal?.rule ?? '',
        refusedReason: refusal?.reason ?? '',
      }),
    },
  });
}
