import type { PayloadType } from '#contracts';

/** The kinds of party in the action plan (DESIGN §2). */
export const PARTY_KINDS = [
  'contact-point',
  'jot-mare',
  'afic',
  'afic-partner',
  'liaison-officer',
  'eu-agency',
  'matching-service',
] as const;
export type PartyKind = (typeof PARTY_KINDS)[number];

/** Handling codes in increasing order of restriction; a clearance is the highest code a party may receive. */
export const HANDLING_LEVELS = ['H0', 'H1', 'H2', 'H3'] as const;
export type HandlingLevel = (typeof HANDLING_LEVELS)[number];

/** One participant of the exchange. */
export interface Party {
  /** Node id, a NATS subject token: `cp-it`, `jot-mare`, `emlo-ne`. */
  id: string;
  kind: PartyKind;
  /** Human name, for receipts and the console. */
  name: string;
  /** ISO 3166-1 alpha-2 of the party's state (for EU agencies, the seat; for liaison officers, the posting). */
  country: string;
  /** Highest handling code the party may receive. */
  clearance: HandlingLevel;
  /** Intelligence and product types the party may publish; control messages are open to every party. */
  mayPublish: PayloadType[];
  /** Topic patterns with NATS wildcards (`intel.vessel.*`, `intel.>`). */
  subscriptions: string[];
  /** True for a party that may receive aggregated, non-personal statistics only (Eurostat). */
  aggregatesOnly: boolean;
}

/** A registered agreement that allows release of information to a third country. */
export interface Agreement {
  /** Stable id, cited in audit rows: `frontex-ne-2023`. */
  id: string;
  /** The third country, ISO 3166-1 alpha-2. */
  country: string;
  /** The instrument, for example "Working arrangement between Frontex and the Republic of Niger". */
  title: string;
  /** Whether personal data may be transferred under it. */
  personalData: boolean;
  /** The legal basis for transfers of personal data; required when `personalData` is true. */
  legalBasis?: string;
  /** Handling codes it covers. */
  handlingCodes: HandlingLevel[];
  /** Last day it applies (ISO date), if limited in time. */
  validUntil?: string;
}

/**
 * A matching service for blind hit/no-hit: it holds the tokens parties send it and answers queries, and
 * receives nothing else (DESIGN §2). It has no matching key, so it never learns a selector.
 */
export function isMatchingService(party: Party | undefined): boolean {
  return party?.kind === 'matching-service';
}

/** AFIC partner countries are third countries; every other party is an EU party, wherever it is posted. */
export function isThirdCountryParty(party: Party): boolean {
  return party.kind === 'afic-partner';
}
