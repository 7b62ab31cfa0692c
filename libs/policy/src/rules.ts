import { handlingLabel, ReleasabilityScope, Tlp } from '#contracts';
import { HANDLING_LEVELS, type HandlingLevel, type Party } from '#directory';
import type { SharingRule } from './sharing-rule.js';

/** A named recipient must be a party of the directory. */
export const recipientKnown: SharingRule = {
  code: 'POLICY.RECIPIENT_UNKNOWN',
  description: 'A recipient must be a party registered in the directory.',
  check: ({ candidate }) => (candidate.party ? null : `${candidate.node} is not a party of the exchange`),
};

/** TLP RED is for the people and organisations the sender names, no one else. */
export const tlpRedNamedOnly: SharingRule = {
  code: 'POLICY.TLP_RED_NAMED_ONLY',
  description: 'TLP RED reaches named recipients only, never topic subscribers.',
  check: ({ envelope, candidate }) =>
    envelope.tlp === Tlp.RED && !candidate.named
      ? `TLP RED and ${candidate.node} was not named by the sender`
      : null,
};

/** A recipient receives only handling codes up to its clearance. */
export const recipientCleared: SharingRule = {
  code: 'POLICY.RECIPIENT_NOT_CLEARED',
  description: "The recipient's clearance must cover the item's handling code.",
  check: ({ envelope, candidate }) => {
    const code = handlingLabel(envelope.handlingCode) as HandlingLevel | null;
    const party = candidate.party!;
    if (code && HANDLING_LEVELS.indexOf(code) > HANDLING_LEVELS.indexOf(party.clearance)) {
      return `${code} exceeds the clearance of ${party.id} (${party.clearance})`;
    }
    return null;
  },
};

/** Whether a party sits outside the EU: AFIC partner countries are third countries. */
export function isThirdCountryParty(party: Party): boolean {
  return party.kind === 'afic-partner';
}

/** A third country receives an item only when the sender released it to that country. */
export const thirdCountryReleasable: SharingRule = {
  code: 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE',
  description: 'A third country receives only items whose releasability names it.',
  check: ({ envelope, candidate }) => {
    const party = candidate.party!;
    if (!isThirdCountryParty(party)) return null;
    const r = envelope.releasability;
    if (r?.scope === ReleasabilityScope.THIRD_COUNTRIES && r.thirdCountries.includes(party.country))
      return null;
    return `${party.id} is in a third country (${party.country}) the item is not released to`;
  },
};

/** The rules in the order they are applied; the first that withholds decides. */
export const SHARING_RULES: readonly SharingRule[] = [
  recipientKnown,
  recipientCleared,
  thirdCountryReleasable,
  tlpRedNamedOnly,
];
