import type { Envelope } from '#contracts';
import type { Directory } from '#directory';
import { ALLOWED, type Candidate, type Decision, type SharingRule } from './sharing-rule.js';
import { SHARING_RULES } from './rules.js';
import { topicsOf } from './topics.js';

/** Candidate recipients: the named recipients plus the subscribers of the envelope's topics, never the sender. */
export function candidatesOf(envelope: Envelope, directory: Directory): Candidate[] {
  const byNode = new Map<string, Candidate>();
  for (const node of envelope.recipients) {
    byNode.set(node, { node, party: directory.party(node), named: true, viaTopics: [] });
  }
  for (const topic of topicsOf(envelope)) {
    for (const party of directory.subscribersOf(topic)) {
      const existing = byNode.get(party.id);
      if (existing) existing.viaTopics.push(topic);
      else byNode.set(party.id, { node: party.id, party, named: false, viaTopics: [topic] });
    }
  }
  byNode.delete(envelope.sender);
  return [...byNode.values()].sort((a, b) => a.node.localeCompare(b.node));
}

/**
 * Applies every sharing rule to every candidate recipient. Each candidate gets exactly one decision:
 * delivered, or withheld with the code of the first rule that refused it.
 */
export function decideRecipients(
  envelope: Envelope,
  directory: Directory,
  nowMs: number = Date.now(),
  rules: readonly SharingRule[] = SHARING_RULES,
): Decision[] {
  const sender = directory.party(envelope.sender);
  return candidatesOf(envelope, directory).map((candidate) => {
    for (const rule of rules) {
      const reason = rule.check({ envelope, sender, candidate, directory, nowMs });
      if (reason !== null) return { recipient: candidate.node, outcome: 'withheld', rule: rule.code, reason };
    }
    const why = candidate.named ? 'named by the sender' : `subscribed to ${candidate.viaTopics.join(', ')}`;
    return { recipient: candidate.node, outcome: 'delivered', rule: ALLOWED, reason: why };
  });
}
