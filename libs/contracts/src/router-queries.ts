/**
 * What the gateway asks the router about items on a party's behalf, and what it gets back: the shapes that
 * cross `msx.query.router.*`. The router answers from its ledger and its sharing rules; the gateway has
 * authenticated the party and the person before it asks.
 */

/** Where a party stands towards one item: whether it may see it at all, and where its copy is. */
export interface ItemQuery {
  /** The party asking (the credential's node). */
  node: string;
  messageId: string;
  /** A share request about the item, which its originator is about to decide: answered only to the originator. */
  requestId?: string;
}

/** A share request as its item's originator sees it, to decide on it. */
export interface ShareRequestView {
  requestId: string;
  requester: string;
  proposedRecipients: string[];
}

/**
 * The router's answer about an item. `found` is false alike for an item that does not exist and for one the
 * party neither sent nor received, so no answer tells one from the other.
 */
export type ItemView =
  | { found: false }
  | {
      found: true;
      messageId: string;
      type: string;
      originator: string;
      /** The party's relation to the item: it sent it, or a copy was delivered or forwarded to it. */
      role: 'originator' | 'recipient';
      recalled: boolean;
      /** The item's markings (msx.v1 enum numbers), which every message about it carries too. */
      handlingCode: number;
      tlp: number;
      /** Position of the party's copy in its inbox; absent for the originator and once a copy is removed. */
      copySeq?: number;
      /** For the originator only: every party that holds a copy, the consented forwards included. */
      recipients?: string[];
      /** For the originator, when the query named a request about this item that the ledger holds. */
      request?: ShareRequestView;
    };

/** Who would receive a draft submission: the router decides it with the rules it routes by, publishing nothing. */
export interface PreviewQuery {
  node: string;
  /** The envelope as it would be submitted (msx.v1.Envelope, binary), base64. */
  envelope: string;
}

export interface PreviewDecision {
  party: string;
  outcome: 'delivered' | 'withheld';
  /** The rule that decided: the withholding rule's code, or the rule a delivery rests on. */
  rule: string;
  reason: string;
}

export interface PreviewAnswer {
  id: string;
  recipients: PreviewDecision[];
  /** Set when a submission rule would refuse the submission as a whole (then every candidate is withheld). */
  refusal: { rule: string; reason: string } | null;
}
