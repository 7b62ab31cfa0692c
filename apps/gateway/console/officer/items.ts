/** What the console shows of an inbox item: its payload's type, a one-line summary, and whose it is. */
import type { InboxEntry, Whoami } from '../api.js';

/** The payload types that are intelligence items (an officer acknowledges them or asks to share them on). */
const ITEM_TYPES: ReadonlySet<string> = new Set([
  'routeReport',
  'modusOperandiReport',
  'financialLead',
  'suspectVesselReport',
  'documentFraudReport',
  'internetContentReferral',
  'debriefingReport',
  'vesselAlert',
  'analysisProduct',
]);

/** Every payload field of the envelope's JSON form (one is set). */
const PAYLOAD_TYPES = [
  ...ITEM_TYPES,
  'deliveryReceipt',
  'acknowledgement',
  'shareRequest',
  'shareDecision',
  'recall',
  'erasureReceipt',
  'crossCheckRequest',
  'hitNotice',
  'blindIndexUpdate',
  'blindQuery',
  'blindAnswer',
  'blindQueryNotice',
];

/** The envelope fields the console reads; the rest is shown as the gateway sent it. */
export interface EnvelopeJson {
  id?: string;
  sender?: string;
  author?: string;
  createdAt?: string;
  recipients?: string[];
  handlingCode?: string;
  tlp?: string;
  route?: string;
  [payload: string]: unknown;
}

export interface RecipientDecision {
  recipient?: string;
  outcome?: string;
  rule?: string;
  reason?: string;
}

/** An inbox item as the console shows it. */
export interface ShownItem {
  seq: number;
  deliveredAt: string;
  /** Null for a copy the router did not vouch for: nothing of it is shown. */
  envelope: EnvelopeJson | null;
  type: string;
  /** The message the officer acts on from this item: the item itself, or for a receipt the message it is about. */
  target: string | undefined;
  /** What the officer may do: a recipient acknowledges and asks consent; an originator recalls. */
  actions: 'recipient' | 'originator' | 'none';
}

export function showItem(entry: InboxEntry, me: Whoami): ShownItem {
  if (!entry.vouched)
    return {
      seq: entry.seq,
      deliveredAt: entry.deliveredAt,
      envelope: null,
      type: 'refused',
      target: undefined,
      actions: 'none',
    };
  const envelope = entry.envelope as EnvelopeJson;
  const type = PAYLOAD_TYPES.find((t) => envelope[t] !== undefined) ?? 'unknown';
  const base = { seq: entry.seq, deliveredAt: entry.deliveredAt, envelope, type };
  if (type === 'deliveryReceipt') {
    const receipt = envelope.deliveryReceipt as { messageId?: string };
    return { ...base, target: receipt.messageId, actions: 'originator' };
  }
  if (ITEM_TYPES.has(type))
    return {
      ...base,
      target: envelope.id,
      actions: envelope.sender === me.node ? 'originator' : 'recipient',
    };
  return { ...base, target: envelope.id, actions: 'none' };
}

/** A type name as words: `routeReport` → `route report`. */
export const words = (type: string): string => type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/** The same, to start a sentence or a heading: `routeReport` → `Route report`. */
export const title = (type: string): string => {
  const w = words(type);
  return w.charAt(0).toUpperCase() + w.slice(1);
};

/** An enum value without its prefix: `TLP_AMBER` → `AMBER`, `HANDLING_CODE_H1` → `H1`. */
export const shortEnum = (value: string | undefined, prefix: string): string =>
  value === undefined ? '—' : value.startsWith(prefix) ? value.slice(prefix.length) : value;

/** One line of what a route report says: its legs. */
export function routeSummary(envelope: EnvelopeJson): string | undefined {
  const report = envelope.routeReport as
    | { segments?: { fromPlace?: string; fromCountry?: string; toPlace?: string; toCountry?: string }[] }
    | undefined;
  if (!report?.segments) return undefined;
  return report.segments
    .map(
      (s, i) =>
        `${i === 0 ? `${s.fromPlace ?? ''} (${s.fromCountry ?? ''}) → ` : '→ '}${s.toPlace ?? ''} (${s.toCountry ?? ''})`,
    )
    .join(' ');
}

/** The decisions of a delivery receipt. */
export function receiptDecisions(envelope: EnvelopeJson): {
  delivered: string[];
  withheld: RecipientDecision[];
  refused?: string;
} {
  const receipt = envelope.deliveryReceipt as {
    decisions?: RecipientDecision[];
    refusedRule?: string;
    refusedReason?: string;
  };
  const decisions = receipt.decisions ?? [];
  return {
    delivered: decisions
      .filter((d) => d.outcome === 'DECISION_OUTCOME_DELIVERED')
      .map((d) => d.recipient ?? '?'),
    withheld: decisions.filter((d) => d.outcome === 'DECISION_OUTCOME_WITHHELD'),
    ...(receipt.refusedRule ? { refused: `${receipt.refusedRule}: ${receipt.refusedReason ?? ''}` } : {}),
  };
}
