import type { Envelope } from './gen/msx/v1/envelope_pb.js';

/** The payload case of an envelope, for example `routeReport`; the message type named in topics and audit rows. */
export type PayloadType = NonNullable<Envelope['payload']['case']>;

/**
 * What a payload is to the exchange:
 * - `intel`: intelligence a party shares (the seven types of the action plan);
 * - `product`: what a hub makes of it and sends on (JOT MARE's vessel alerts, analysis products);
 * - `control`: a message about items or between parties (receipts, consent, recall, erasure, cross-checks).
 */
export type PayloadFamily = 'intel' | 'product' | 'control';

export interface PayloadKind {
  family: PayloadFamily;
  /**
   * The token naming the type in its topics (`intel.<token>.<route>`), or null for a type that no
   * subscription receives: it goes only to the parties it names or concerns.
   */
  topic: string | null;
  /** Whether it concerns an item already in the exchange, named by its payload's `messageId`. */
  concernsItem: boolean;
  /** Whether recipients keep a copy of it in their inbox store (and so erase it when it is recalled or expires). */
  kept: boolean;
  /** Whether only the router may send it: no party may submit it. */
  routerOnly: boolean;
  /**
   * Blind hit/no-hit matching: `toMatcher` for what parties send a matching service only (index updates and
   * queries, tokens and never values), `fromMatcher` for what only a matching service sends.
   */
  blind?: 'toMatcher' | 'fromMatcher';
}

const intel = <T extends string>(topic: T) =>
  ({ family: 'intel', topic, concernsItem: false, kept: true, routerOnly: false }) as const;
const product = {
  family: 'product',
  topic: null,
  concernsItem: false,
  kept: true,
  routerOnly: false,
} as const;
/** A control message about an item: its recipients keep no copy of their own to erase. */
const aboutItem = {
  family: 'control',
  topic: null,
  concernsItem: true,
  kept: false,
  routerOnly: false,
} as const;

/** A cross-check and its hit notice: kept, since they carry selectors and a finding of their own. */
const keptControl = {
  family: 'control',
  topic: null,
  concernsItem: false,
  kept: true,
  routerOnly: false,
} as const;

/** What a party tells the matching service: tokens, which it keeps in its own index, not as an item. */
const toMatcher = {
  family: 'control',
  topic: null,
  concernsItem: false,
  kept: false,
  routerOnly: false,
  blind: 'toMatcher',
} as const;
/** The matching service's answer and its notice to holders: kept, since they name the parties that matched. */
const fromMatcher = { ...keptControl, blind: 'fromMatcher' } as const;

/**
 * Every payload type, once. The lists the rest of MSX works from (what validation accepts, what a party
 * may publish, topics, what a recipient keeps, what concerns an item) are derived from this table, and
 * `satisfies` makes a type added to the contract without a row here a compile error.
 */
export const PAYLOAD_KINDS = {
  routeReport: intel('route'),
  modusOperandiReport: intel('modus-operandi'),
  financialLead: intel('financial'),
  suspectVesselReport: intel('vessel'),
  documentFraudReport: intel('document-fraud'),
  internetContentReferral: intel('internet-content'),
  debriefingReport: intel('debriefing'),
  vesselAlert: product,
  analysisProduct: product,
  deliveryReceipt: { family: 'control', topic: null, concernsItem: false, kept: false, routerOnly: true },
  acknowledgement: aboutItem,
  shareRequest: aboutItem,
  shareDecision: aboutItem,
  recall: aboutItem,
  erasureReceipt: aboutItem,
  crossCheckRequest: keptControl,
  hitNotice: keptControl,
  blindIndexUpdate: toMatcher,
  blindQuery: toMatcher,
  blindAnswer: fromMatcher,
  blindQueryNotice: fromMatcher,
} as const satisfies Record<PayloadType, PayloadKind>;

/** Every payload type, in the table's order. */
export const PAYLOAD_TYPES = Object.keys(PAYLOAD_KINDS) as PayloadType[];

type TypesWhere<K extends Exclude<keyof PayloadKind, 'blind'>, V> = {
  [T in PayloadType]: (typeof PAYLOAD_KINDS)[T][K] extends V ? T : never;
}[PayloadType];

/** The control messages that concern an item already in the exchange. */
export type ItemControlType = TypesWhere<'concernsItem', true>;
/** What becomes an item of the exchange: intelligence and the hubs' products. */
export type ItemType = TypesWhere<'family', 'intel' | 'product'>;

const where = (test: (kind: PayloadKind) => boolean): readonly PayloadType[] =>
  PAYLOAD_TYPES.filter((t) => test(PAYLOAD_KINDS[t]));

/** The seven intelligence types. */
export const INTEL_TYPES: readonly PayloadType[] = where((k) => k.family === 'intel');
/** The hubs' products. */
export const PRODUCT_TYPES: readonly PayloadType[] = where((k) => k.family === 'product');
/** Control messages a party may send: replies, consent, recall, erasure, cross-checks (not the router's own). */
export const CONTROL_TYPES: readonly PayloadType[] = where((k) => k.family === 'control' && !k.routerOnly);
/** What a party may be allowed to publish: intelligence and products. */
export const PUBLISHABLE_TYPES: readonly PayloadType[] = [...INTEL_TYPES, ...PRODUCT_TYPES];
/** What parties send a matching service only: blind index updates and queries. */
export const TO_MATCHER_TYPES: readonly PayloadType[] = where((k) => k.blind === 'toMatcher');
/** What only a matching service sends: blind answers and query notices. */
export const FROM_MATCHER_TYPES: readonly PayloadType[] = where((k) => k.blind === 'fromMatcher');
/** What only the router sends. */
export const ROUTER_ONLY_TYPES: readonly PayloadType[] = where((k) => k.routerOnly);

/**
 * Whether a payload becomes an item of the exchange (intelligence or a hub's product), which others may
 * hold, forward and corroborate; control messages are the exchange's own ways of asking and answering.
 */
export const isItemPayload = (
  p: Envelope['payload'],
): p is Extract<Envelope['payload'], { case: ItemType }> =>
  p.case !== undefined && PAYLOAD_KINDS[p.case].family !== 'control';

type ItemControlPayload = Extract<Envelope['payload'], { case: ItemControlType }>;

const isItemControl = (p: Envelope['payload']): p is ItemControlPayload =>
  p.case !== undefined && PAYLOAD_KINDS[p.case].concernsItem;

/**
 * The id of the item a control message concerns, or undefined for anything else. Every type the table
 * marks as concerning an item must name it by `messageId`, or this does not compile.
 */
export function concernedMessageId(envelope: Envelope): string | undefined {
  const p = envelope.payload;
  return isItemControl(p) ? p.value.messageId : undefined;
}
