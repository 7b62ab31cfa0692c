import type { Envelope } from '#contracts';
import type { Directory } from '#directory';
import { isForward, type PolicyFacts } from './facts.js';
import { RECIPIENT_UNKNOWN, SHARING_RULES } from './rules.js';
import {
  ALLOWED,
  type Candidate,
  type Decision,
  type SharingRule,
  type SubmissionContext,
  type SubmissionRule,
} from './sharing-rule.js';
import { SUBMISSION_RULES } from './submission-rules.js';
import { topicsOf } from './topics.js';

/**
 * Candidate recipients, never the sender:
 * - a recall goes to every party that received the item; a share request and an erasure receipt to its
 *   originator; a share decision to the requester: these are the parties concerned, whoever is named;
 * - a forwarded copy and other control messages go to the named recipients;
 * - intelligence goes to the named recipients and the subscribers of its topics, unless it is meant for its
 *   named recipients only (`namedRecipientsOnly`).
 */
export function candidatesOf(envelope: Envelope, directory: Directory, facts: PolicyFacts): Candidate[] {
  const byNode = new Map<string, Candidate>();
  const add = (node: string, named: boolean, topic?: string) => {
    const existing = byNode.get(node);
    if (existing) {
      if (topic) existing.viaTopics.push(topic);
      existing.named ||= named;
    } else {
      byNode.set(node, { node, party: directory.party(node), named, viaTopics: topic ? [topic] : [] });
    }
  };
  const type = envelope.payload.case;
  if (type === 'recall' && facts.item) {
    for (const node of facts.item.recipients) add(node, true);
  } else if ((type === 'shareRequest' || type === 'erasureReceipt') && facts.item) {
    add(facts.item.originator, true);
  } else if (type === 'shareDecision' && facts.request) {
    add(facts.request.requester, true);
  } else {
    for (const node of envelope.recipients) add(node, true);
    if (!isForward(envelope) && !envelope.namedRecipientsOnly) {
      for (const topic of topicsOf(envelope))
        for (const party of directory.subscribersOf(topic)) add(party.id, false, topic);
    }
  }
  byNode.delete(envelope.sender);
  return [...byNode.values()].sort((a, b) => a.node.localeCompare(b.node));
}

/** Recalls and erasure receipts must reach everyone concerned: only the directory check applies to them. */
function mustReach(envelope: Envelope): boolean {
  return envelope.payload.case === 'recall' || envelope.payload.case === 'erasureReceipt';
}

/** A submission-level rule refused the submission as a whole. */
export interface Refusal {
  /** Code of the submission rule, for example `POLICY.ID_ALREADY_USED`. */
  rule: string;
  reason: string;
}

/** The decision on a submission: whether it was refused as a whole, and the outcome for each candidate. */
export interface SubmissionDecision {
  /** Set when a submission rule refused: then every candidate (there may be none) is withheld under it. */
  refusal?: Refusal;
  decisions: Decision[];
}

/** The rule sets a decision applies; the defaults are the exchange's rules. */
export interface RuleSets {
  submission: readonly SubmissionRule[];
  recipient: readonly SharingRule[];
}

const EXCHANGE_RULES: RuleSets = { submission: SUBMISSION_RULES, recipient: SHARING_RULES };

/**
 * Applies the submission rules, then every sharing rule to every candidate recipient. Each candidate gets
 * exactly one decision: delivered, or withheld with the code of the first rule that refused it. A
 * submission-level rule that refuses is reported as the refusal and withholds from every candidate under its
 * code, so it is known even when there is no candidate.
 */
export function decideSubmission(
  envelope: Envelope,
  directory: Directory,
  facts: PolicyFacts,
  rules: RuleSets = EXCHANGE_RULES,
): SubmissionDecision {
  const sender = directory.party(envelope.sender);
  const base = { envelope, sender, directory, facts };
  const candidates = candidatesOf(envelope, directory, facts);
  for (const rule of rules.submission) {
    const reason = rule.check(base);
    if (reason !== null) {
      return {
        refusal: { rule: rule.code, reason },
        decisions: candidates.map((c) => ({
          recipient: c.node,
          outcome: 'withheld',
          rule: rule.code,
          reason,
        })),
      };
    }
  }
  return { decisions: candidates.map((candidate) => decideCandidate(candidate, base, rules)) };
}

/** {@link decideSubmission}'s decisions alone: one per candidate recipient. */
export function decideRecipients(
  envelope: Envelope,
  directory: Directory,
  facts: PolicyFacts,
  rules: RuleSets = EXCHANGE_RULES,
): Decision[] {
  return decideSubmission(envelope, directory, facts, rules).decisions;
}

function decideCandidate(candidate: Candidate, base: SubmissionContext, rules: RuleSets): Decision {
  const { envelope } = base;
  const party = candidate.party;
  if (!party) {
    return {
      recipient: candidate.node,
      outcome: 'withheld',
      rule: RECIPIENT_UNKNOWN,
      reason: `${candidate.node} is not a party of the exchange`,
    };
  }
  if (!mustReach(envelope)) {
    for (const rule of rules.recipient) {
      const reason = rule.check({ ...base, candidate: { ...candidate, party } });
      if (reason !== null) return { recipient: candidate.node, outcome: 'withheld', rule: rule.code, reason };
    }
  }
  const why = isForward(envelope)
    ? `forwarded under consent ${envelope.consentRef}`
    : candidate.named
      ? 'named by the sender'
      : `subscribed to ${candidate.viaTopics.join(', ')}`;
  return { recipient: candidate.node, outcome: 'delivered', rule: ALLOWED, reason: why };
}
