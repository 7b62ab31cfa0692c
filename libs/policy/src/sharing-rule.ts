import type { Envelope } from '#contracts';
import type { Directory, Party } from '#directory';

/** A party that might receive an envelope, and why it is a candidate. */
export interface Candidate {
  /** Node id. */
  node: string;
  /** The directory entry; undefined when a named recipient is not in the directory. */
  party: Party | undefined;
  /** True when the sender named this recipient explicitly. */
  named: boolean;
  /** The topics through which the party subscribed to the envelope. */
  viaTopics: string[];
}

/** Everything a rule may look at. Rules are pure: no I/O. */
export interface RuleContext {
  envelope: Envelope;
  sender: Party | undefined;
  candidate: Candidate;
  directory: Directory;
  /** Decision time in milliseconds since the epoch. */
  nowMs: number;
}

/** A named sharing rule with a stable code; `check` returns the reason for withholding, or null to allow. */
export interface SharingRule {
  /** Stable code, for example `POLICY.TLP_RED_NAMED_ONLY`; audited with every withheld decision. */
  code: string;
  /** One sentence stating the rule. */
  description: string;
  check(ctx: RuleContext): string | null;
}

/** The outcome for one candidate recipient. */
export interface Decision {
  recipient: string;
  outcome: 'delivered' | 'withheld';
  /** The rule that withheld it, or `POLICY.ALLOWED`. */
  rule: string;
  reason: string;
}

export const ALLOWED = 'POLICY.ALLOWED';
