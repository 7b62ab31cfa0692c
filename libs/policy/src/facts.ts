import type { Envelope, HandlingCode, PayloadType, Purpose, Tlp } from '#contracts';

/** What the exchange remembers of a routed item (the router's ledger keeps it). */
export interface ItemRecord {
  messageId: string;
  /** The node that first published it: the provider whose consent governs onward sharing. */
  originator: string;
  type: PayloadType;
  handlingCode: HandlingCode;
  tlp: Tlp;
  /** SHA-256 (hex) of the payload's wire bytes: recognises the same intelligence re-submitted by another node. */
  payloadSha256: string;
  /** The purposes it serves (`purposesOf`); absent on items routed before purposes were kept. */
  purposes?: Purpose[];
  /** Nodes it was delivered to: its first recipients and consented forwards. */
  recipients: string[];
  /** When it expires, in milliseconds since the epoch. */
  expiresAtMs?: number;
  /** True once recalled or expired. */
  recalled?: boolean;
  /**
   * Digests of its selectors ({@link selectorsOf}), kept for items that need the originator's consent: what
   * recognises a reworded copy of it. Absent on other items and on items routed before selectors were kept.
   */
  selectors?: string[];
  /**
   * For an item that carries the selectors of other parties' items it was recognised as derived from (a
   * corroboration among their holders): per originator of those items, the selectors (digests) it took from
   * them, its own sources' included. They stay that originator's: its later items are never judged derived
   * from this one by them, so no holder's corroboration keeps an originator from its own intelligence.
   */
  borrowedSelectors?: Record<string, string[]>;
}

/** The originator's answer to a share request, as the router recorded it. */
export interface ConsentRecord {
  /** Id of the envelope that carried the ShareDecision; a forwarded copy cites it as `consentRef`. */
  decisionId: string;
  messageId: string;
  originator: string;
  requester: string;
  granted: boolean;
  grantedRecipients: string[];
  validUntilMs?: number;
}

/** A share request as the router recorded it, so the originator's decision finds its requester. */
export interface ShareRequestRecord {
  /** Id of the envelope that carried the ShareRequest. */
  requestId: string;
  messageId: string;
  requester: string;
  proposedRecipients: string[];
}

/**
 * Who an envelope id belongs to: the submission that first carried it. The router writes it once, before
 * anything is delivered, and never replaces it, so no later submission can take an id over.
 */
export interface IdClaimRecord {
  /** The envelope id as first seen. */
  messageId: string;
  /** The node whose submit subject first carried it (the authenticated publisher, not what the envelope says). */
  originator: string;
  /** SHA-256 (hex) of the exact bytes first seen. */
  sha256: string;
  /** Stream sequence of that submission in the submit stream; 0 for the router's own envelopes. */
  submitSeq: number;
  /** When the router first saw it, milliseconds since the epoch. */
  firstSeenAtMs: number;
}

/** What the router knows beyond the envelope when it decides. Everything is looked up before the decision. */
export interface PolicyFacts {
  /** Decision time, milliseconds since the epoch. */
  nowMs: number;
  /** SHA-256 (hex) of this envelope's payload bytes. */
  payloadSha256: string;
  /** Stream sequence of this submission in the submit stream; 0 for the router's own envelopes. */
  submitSeq?: number;
  /** Who the envelope id belongs to; this very submission when it is the first to carry the id. */
  idClaim?: IdClaimRecord;
  /** The item a control message or a forwarded copy is about. */
  item?: ItemRecord;
  /** For a forwarded copy: the consent its `consentRef` names. */
  consent?: ConsentRecord;
  /** An item already in the exchange with the same payload (looked up for new items and forwarded copies). */
  samePayload?: ItemRecord;
  /** For a new item: the digests of its selectors ({@link selectorsOf}); computed from the envelope when absent. */
  selectors?: string[];
  /**
   * For a new item: the items already in the exchange that need their originator's consent and carry at least
   * one of its selectors, whoever received them; the rules decide which of them it derives from.
   */
  selectorItems?: ItemRecord[];
  /** For a share decision: the request it answers. */
  request?: ShareRequestRecord;
}

/** A forwarded copy: onward sharing under the originator's consent. */
export function isForward(envelope: Envelope): boolean {
  return envelope.consentRef !== '';
}
