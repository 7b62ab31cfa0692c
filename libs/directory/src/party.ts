import type { PayloadType } from '#contracts';

/** The kinds of party in the action plan (DESIGN §2). */
export const PARTY_KINDS = [
  'contact-point',
  'jot-mare',
  'afic',
  'afic-partner',
  'liaison-officer',
  'eu-agency',
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
  /** ISO 3166-1 alpha-2 of the party's state (for EU agencies, the seat). */
  country: string;
  /** Highest handling code the party may receive. */
  clearance: HandlingLevel;
  /** Message types the party may publish. */
  mayPublish: PayloadType[];
  /** Topic patterns with NATS wildcards (`intel.vessel.*`, `intel.>`). */
  subscriptions: string[];
}
