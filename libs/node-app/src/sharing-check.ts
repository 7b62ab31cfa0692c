import type { Envelope } from '#contracts';
import type { Directory } from '#directory';
import { RECIPIENT_UNKNOWN, SHARING_RULES, topicsOf } from '#policy';

/** Why the sharing rules keep an envelope from a party: the rule's code and its reason. */
export interface SharingRefusal {
  rule: string;
  reason: string;
}

/**
 * The first sharing rule that would keep `envelope` from `node` — as the router will decide it, for a node
 * that sends something on or tells of it — or null when every rule lets it through. `named` says whether the
 * node is (or counts as) a named recipient; otherwise it is a subscriber of the envelope's topic.
 */
export function sharingRefusal(
  envelope: Envelope,
  node: string,
  directory: Directory,
  nowMs: number,
  named: boolean,
): SharingRefusal | null {
  const party = directory.party(node);
  if (!party) return { rule: RECIPIENT_UNKNOWN, reason: `${node} is not a party of the exchange` };
  const ctx = {
    envelope,
    sender: directory.party(envelope.sender),
    directory,
    facts: { nowMs, payloadSha256: '' },
    candidate: { node, party, named, viaTopics: named ? [] : topicsOf(envelope) },
  };
  for (const rule of SHARING_RULES) {
    const reason = rule.check(ctx);
    if (reason !== null) return { rule: rule.code, reason };
  }
  return null;
}
