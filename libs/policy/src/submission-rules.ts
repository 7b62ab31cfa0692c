import {
  CONTROL_TYPES,
  concernedMessageId,
  FROM_MATCHER_TYPES,
  HandlingCode,
  defaultPurposesOf,
  purposeLabel,
  purposesOf,
  type Purpose,
  TO_MATCHER_TYPES,
  ROUTER_NODE,
  ROUTER_ONLY_TYPES,
  Tlp,
  timestampMs,
  type Envelope,
} from '#contracts';
import { isMatchingService } from '#directory';
import { derivedFrom, type DerivedFrom } from './derived-intelligence.js';
import { isForward, type ItemRecord, type PolicyFacts } from './facts.js';
import { selectorsInFreeText } from './selectors.js';
import type { SubmissionRule } from './sharing-rule.js';

export const senderKnown: SubmissionRule = {
  code: 'POLICY.SENDER_UNKNOWN',
  description: 'The sender is a party of the directory.',
  check: ({ envelope, sender }) =>
    sender || envelope.sender === ROUTER_NODE ? null : `${envelope.sender} is not a party of the exchange`,
};

/**
 * An envelope id belongs to the submission that first carried it. Another party's submission with that id
 * would otherwise take the item over (replace it in the ledger, then recall it from its recipients); the
 * originator's own resubmission after the broker's deduplication window is a new submission and needs a new
 * id. A redelivery of the first submission (same submit stream sequence) is that submission and passes.
 */
export const idNotReused: SubmissionRule = {
  code: 'POLICY.ID_ALREADY_USED',
  description:
    'An id belongs to the item that used it first, at any time, for any party: a new envelope with a known id is refused (the router claims every id in its ledger before delivering).',
  check: ({ envelope, facts }) => {
    const claim = facts.idClaim;
    if (!claim || (claim.originator === envelope.sender && claim.submitSeq === facts.submitSeq)) return null;
    // Names no one: whose item it is stays between that party and the exchange.
    const first = `id ${envelope.id} already belongs to an item first seen at ${new Date(claim.firstSeenAtMs).toISOString()}`;
    return claim.originator === envelope.sender ? `${first}; a new submission needs a new id` : first;
  },
};

export const typePermitted: SubmissionRule = {
  code: 'POLICY.TYPE_NOT_PERMITTED',
  description: 'Each kind publishes only its types; delivery receipts come from the router only.',
  check: ({ envelope, sender }) => {
    const type = envelope.payload.case!;
    if (envelope.sender === ROUTER_NODE)
      return type === 'deliveryReceipt' || type === 'recall' ? null : `the router does not publish ${type}`;
    if (ROUTER_ONLY_TYPES.includes(type)) return `only the router issues ${type}`;
    if (CONTROL_TYPES.includes(type) || sender!.mayPublish.includes(type)) return null;
    return `${sender!.id} (${sender!.kind}) may not publish ${type}`;
  },
};

/**
 * Blind hit/no-hit keeps tokens and values apart: tokens go to the matching service and nowhere else, and
 * the matching service, which holds tokens of every party, speaks only to answer.
 */
export const blindMatchingOnly: SubmissionRule = {
  code: 'POLICY.BLIND_MATCHING',
  description:
    'Blind index updates and queries name matching services only, are marked H0 or H1 and TLP CLEAR or GREEN without a handling restriction, and name no selector in their purpose; only a matching service sends blind answers and query notices, and it sends nothing else.',
  check: ({ envelope, sender, directory }) => {
    const type = envelope.payload.case!;
    const matcher = isMatchingService(sender);
    if (FROM_MATCHER_TYPES.includes(type)) return matcher ? null : `only a matching service sends ${type}`;
    if (matcher) return `a matching service sends blind answers and query notices only, not ${type}`;
    if (!TO_MATCHER_TYPES.includes(type)) return null;
    const others = envelope.recipients.filter((r) => !isMatchingService(directory.party(r)));
    if (others.length > 0) return `${type} goes to matching services only, not to ${others.join(', ')}`;
    if (envelope.recipients.length === 0) return `${type} names no matching service`;
    // The answer and the holders' notices are marked like the query: every holder must be cleared for them.
    if (envelope.handlingCode > HandlingCode.H1 || envelope.tlp > Tlp.GREEN || envelope.handlingRestriction)
      return `${type} carries tokens only: mark it H0 or H1 and TLP CLEAR or GREEN, without a handling restriction, so that every holder may be told of it`;
    const p = envelope.payload;
    const texts = [envelope.purpose, p.case === 'blindQuery' ? p.value.purpose : ''];
    return texts.some((t) => selectorsInFreeText(t).length > 0)
      ? `${type} names a selector in its purpose: the matching service takes tokens only`
      : null;
  },
};

export const notExpired: SubmissionRule = {
  code: 'POLICY.EXPIRED',
  description: 'An expired item is delivered to no one.',
  check: ({ envelope, facts }) =>
    envelope.expiresAt && timestampMs(envelope.expiresAt) <= facts.nowMs
      ? 'the item expired before it was routed'
      : null,
};

/** Control messages about an item: the item must be known, and the sender must have the right role in it. */
export const concernsKnownItem: SubmissionRule = {
  code: 'POLICY.ITEM_UNKNOWN',
  description:
    'A share request, share decision, recall, erasure receipt or acknowledgement concerns an item of the exchange.',
  check: ({ envelope, facts }) => {
    const id = concernedMessageId(envelope);
    return id !== undefined && !facts.item ? `no item ${id} was routed through the exchange` : null;
  },
};

export const originatorOnly: SubmissionRule = {
  code: 'POLICY.NOT_ORIGINATOR',
  description:
    'Only the originator decides on onward sharing and recalls an item (the router recalls on expiry).',
  check: ({ envelope, facts }) => {
    const type = envelope.payload.case;
    if (type !== 'shareDecision' && type !== 'recall') return null;
    if (type === 'recall' && envelope.sender === ROUTER_NODE) return null;
    return facts.item && facts.item.originator !== envelope.sender
      ? `${envelope.sender} is not the originator of ${facts.item.messageId} (${facts.item.originator} is)`
      : null;
  },
};

export const recipientsOnly: SubmissionRule = {
  code: 'POLICY.NOT_A_RECIPIENT',
  description:
    'Only a party that received an item asks to share it, acknowledges it or confirms its erasure.',
  check: ({ envelope, facts }) => {
    const type = envelope.payload.case;
    if (type !== 'shareRequest' && type !== 'erasureReceipt' && type !== 'acknowledgement') return null;
    return facts.item && !facts.item.recipients.includes(envelope.sender)
      ? `${envelope.sender} never received ${facts.item.messageId}`
      : null;
  },
};

/**
 * The TLP AMBER+STRICT item that a submission would share onward, if any: the item a share request asks
 * about or a grant releases; for a forwarded copy, the item its consent names or the item with the same
 * payload; for a new item, the intelligence it re-publishes ({@link derivedFrom}).
 */
function amberStrictOriginal(envelope: Envelope, facts: PolicyFacts): ItemRecord | undefined {
  const strict = (i: ItemRecord | undefined) => (i?.tlp === Tlp.AMBER_STRICT ? i : undefined);
  const p = envelope.payload;
  if (p.case === 'shareRequest' || (p.case === 'shareDecision' && p.value.granted)) return strict(facts.item);
  if (isForward(envelope)) {
    const same = facts.samePayload?.originator !== envelope.sender ? facts.samePayload : undefined;
    return strict(facts.item) ?? strict(same);
  }
  return derivedFrom(envelope, facts).find((d) => d.original.tlp === Tlp.AMBER_STRICT)?.original;
}

/**
 * Checked before every rule about requests, consents and forwards, so that no refusal suggests that consent
 * would help; after the rules on the sender's role in the item, so that a party that never received an item
 * learns nothing of its TLP.
 */
export const amberStrictNoOnward: SubmissionRule = {
  code: 'POLICY.AMBER_STRICT_NO_ONWARD',
  description:
    'TLP AMBER+STRICT is never asked for, granted, forwarded or re-published as new (byte for byte or reworded), not even with consent; checked before the consent rules, so that no answer suggests consent would help.',
  check: ({ envelope, facts }) => {
    const original = amberStrictOriginal(envelope, facts);
    if (!original) return null;
    return original.messageId === concernedMessageId(envelope) || original === facts.item
      ? 'the item is TLP AMBER+STRICT'
      : `the intelligence is ${original.messageId} of ${original.originator}, TLP AMBER+STRICT`;
  },
};

/**
 * What the originator withdrew stays withdrawn: a recalled (or expired) item is not asked for, granted or
 * forwarded. Its holders were told to erase it, so no one may pass it on, not even under a consent given
 * before the recall. Acknowledgements and erasure receipts still pass: they confirm the recall.
 */
export const itemNotRecalled: SubmissionRule = {
  code: 'POLICY.ITEM_RECALLED',
  description:
    'A recalled or expired item is not asked for, granted or forwarded, not even under a consent given before the recall; acknowledgements and erasure receipts of it still pass.',
  check: ({ envelope, facts }) => {
    if (!facts.item?.recalled) return null;
    const p = envelope.payload;
    const sharing =
      p.case === 'shareRequest' || (p.case === 'shareDecision' && p.value.granted) || isForward(envelope);
    return sharing ? `item ${facts.item.messageId} was recalled by its originator` : null;
  },
};

/** What an item of the exchange serves: as recorded, or for one routed before purposes were kept, its type's defaults (it could name none). */
const servedBy = (item: ItemRecord): readonly Purpose[] => item.purposes ?? defaultPurposesOf(item.type);

/** A forwarded copy must cite a consent that covers it. */
export const forwardConsentValid: SubmissionRule = {
  code: 'POLICY.FORWARD_CONSENT_INVALID',
  description:
    "A forwarded copy (`consentRef`) cites the originator's granted, unexpired consent to its own sender, carries the same intelligence, no weaker handling and no purpose the original does not serve.",
  check: ({ envelope, facts }) => {
    if (!isForward(envelope)) return null;
    const c = facts.consent;
    if (!c) return `no consent ${envelope.consentRef} is registered`;
    if (c.requester !== envelope.sender)
      return `consent ${c.decisionId} was given to ${c.requester}, not ${envelope.sender}`;
    if (!c.granted) return `the originator refused consent ${c.decisionId}`;
    if (c.validUntilMs !== undefined && c.validUntilMs <= facts.nowMs)
      return `consent ${c.decisionId} has expired`;
    if (facts.item && facts.item.payloadSha256 !== facts.payloadSha256)
      return `the copy differs from item ${c.messageId}`;
    if (facts.item && (envelope.handlingCode < facts.item.handlingCode || envelope.tlp < facts.item.tlp)) {
      return 'the copy carries weaker handling than the original';
    }
    const allowed = facts.item && servedBy(facts.item);
    const wider = allowed ? purposesOf(envelope).filter((p) => !allowed.includes(p)) : [];
    return wider.length > 0
      ? `the copy serves ${wider.map(purposeLabel).join(', ')}, which the original does not`
      : null;
  },
};

export function describeDerived({ original, by, shared }: DerivedFrom): string {
  const what = `${original.messageId} of ${original.originator}`;
  return by === 'payload' ? what : `${what} (${shared} of its ${original.selectors?.length ?? 0} selectors)`;
}

/**
 * Someone else's restricted intelligence, re-submitted as new byte for byte, is onward sharing in disguise
 * and is refused. Reworded around the same selectors by a party that received it (threshold:
 * {@link MIN_SHARED_SELECTORS}), it is decided per recipient by `derivedReachesHoldersOnly`.
 */
export const onwardSharingNeedsConsent: SubmissionRule = {
  code: 'POLICY.ONWARD_SHARING_NEEDS_CONSENT',
  description:
    "Another party's H2/H3 or TLP AMBER/RED intelligence re-submitted as new, byte for byte, is refused: it needs the originator's consent.",
  check: ({ envelope, facts }) => {
    // Byte for byte: refused outright. Reworded around the selectors: decided per recipient
    // (`derivedReachesHoldersOnly`), so that parties that hold the original still get corroboration.
    const derived = derivedFrom(envelope, facts).filter((d) => d.by === 'payload');
    if (derived.length === 0) return null;
    return `the intelligence is ${derived.map(describeDerived).join(', ')}; ask for consent with a share request`;
  },
};

/**
 * Only the provider widens what its intelligence may be used for: another party's item re-submitted as new,
 * byte for byte, serves no purpose the original does not (a forwarded copy is held to the same by
 * `forwardConsentValid`).
 */
export const purposesNotWidened: SubmissionRule = {
  code: 'POLICY.PURPOSE_WIDENED',
  description:
    "Another party's intelligence re-submitted as new, byte for byte, serves no purpose its original does not: only the provider widens what its intelligence may be used for.",
  check: ({ envelope, facts }) => {
    const original = facts.samePayload;
    if (!original || original.originator === envelope.sender || isForward(envelope)) return null;
    const allowed = servedBy(original);
    const wider = purposesOf(envelope).filter((p) => !allowed.includes(p));
    return wider.length > 0
      ? `the intelligence is ${original.messageId} of ${original.originator}, which does not serve ${wider.map(purposeLabel).join(', ')}`
      : null;
  },
};

/** A share decision answers a recorded request about the same item, within what was asked. */
export const shareDecisionAnswersRequest: SubmissionRule = {
  code: 'POLICY.SHARE_REQUEST_UNKNOWN',
  description:
    'A share decision answers a recorded share request about the same item and grants no more than was asked.',
  check: ({ envelope, facts }) => {
    if (envelope.payload.case !== 'shareDecision') return null;
    const decision = envelope.payload.value;
    const request = facts.request;
    if (!request || request.messageId !== decision.messageId) {
      return `no share request ${decision.requestId} about ${decision.messageId} was made`;
    }
    const extra = decision.grantedRecipients.filter((r) => !request.proposedRecipients.includes(r));
    return extra.length > 0 ? `${extra.join(', ')} were not in the request` : null;
  },
};

/** Applied in order; the first that refuses decides for every candidate. */
export const SUBMISSION_RULES: readonly SubmissionRule[] = [
  senderKnown,
  idNotReused,
  typePermitted,
  blindMatchingOnly,
  notExpired,
  concernsKnownItem,
  originatorOnly,
  recipientsOnly,
  amberStrictNoOnward,
  itemNotRecalled,
  shareDecisionAnswersRequest,
  forwardConsentValid,
  onwardSharingNeedsConsent,
  purposesNotWidened,
];
