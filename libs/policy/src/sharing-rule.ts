import type { Envelope } from '#contracts';
import type { Directory, Party } from '#directory';
import type { PolicyFacts } from './facts.js';

/** A party that might receive an envelope, and why it is a candidate. */
export interface Candidate {
  /** Node id. */
  node: string;
  /** The directory entry; undefined when a named recipient is not in the directory. */
  party: Party | undefined;
  /**
   * True when the sender named this recipient, or when a recall, share request, share decision or erasure
   * receipt goes to it as a party concerned, whoever is named (see `candidatesOf`); false when only its
   * topics made it a candidate.
   */
  named: boolean;
  /** The topics through which the party subscribed to the envelope. */
  viaTopics: string[];
}

/** What a submission-level rule looks at. */
export interface SubmissionContext {
  envelope: Envelope;
  /** The sender's directory entry (undefined for an unknown sender or the router itself). */
  sender: Party | undefined;
  directory: Directory;
  facts: PolicyFacts;
}

/** What a recipient rule looks at: the submission plus one candidate, known to the directory. */
export interface RuleContext extends SubmissionContext {
  candidate: Candidate & { party: Party };
}

/** A rule's answer: the reason for withholding, or null when the rule does not withhold. */
export type Verdict = string | null;

/** A named rule on the submission as a whole: if it refuses, every candidate is withheld with its code. */
export interface SubmissionRule {
  /** Stable code, for example `POLICY.TYPE_NOT_PERMITTED`. */
  code: string;
  description: string;
  check(ctx: SubmissionContext): Verdict;
}

/** A named rule applied to each candidate recipient; `check` returns the reason for withholding, or null. */
export interface SharingRule {
  /** Stable code, for example `POLICY.TLP_RED_NAMED_ONLY`; audited with every withheld decision. */
  code: string;
  description: string;
  check(ctx: RuleContext): Verdict;
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
