import { HandlingCode, handlingLabel, ReleasabilityScope, Tlp, TO_MATCHER_TYPES } from '#contracts';
import {
  HANDLING_LEVELS,
  isMatchingService,
  isThirdCountryParty,
  type Agreement,
  type HandlingLevel,
} from '#directory';
import { derivedFrom } from './derived-intelligence.js';
import { isForward } from './facts.js';
import type { RuleContext, SharingRule } from './sharing-rule.js';

/** The agreements in force for the candidate's country on the decision day. */
function agreementsInForce({ candidate, directory, facts }: RuleContext): Agreement[] {
  return directory.agreementsFor(candidate.party.country, new Date(facts.nowMs).toISOString().slice(0, 10));
}

function coveringCode(ctx: RuleContext): Agreement[] {
  const code = handlingLabel(ctx.envelope.handlingCode) as HandlingLevel;
  return agreementsInForce(ctx).filter((a) => a.handlingCodes.includes(code));
}

/**
 * A matching service holds tokens of every party and no key: it must never be given a value, whoever names
 * it as a recipient of whatever.
 */
export const matcherReceivesTokensOnly: SharingRule = {
  code: 'POLICY.MATCHER_TOKENS_ONLY',
  description:
    'A matching service receives blind index updates and queries only: no intelligence, no product, no other control message.',
  check: ({ envelope, candidate }) => {
    const type = envelope.payload.case!;
    return isMatchingService(candidate.party) && !TO_MATCHER_TYPES.includes(type)
      ? `${candidate.node} is a matching service: it receives tokens only, not ${type}`
      : null;
  },
};

/** A recipient receives only handling codes up to its clearance. */
export const recipientCleared: SharingRule = {
  code: 'POLICY.RECIPIENT_NOT_CLEARED',
  description: "The recipient's clearance covers the item's handling code.",
  check: ({ envelope, candidate }) => {
    const code = handlingLabel(envelope.handlingCode) as HandlingLevel;
    const party = candidate.party;
    return HANDLING_LEVELS.indexOf(code) > HANDLING_LEVELS.indexOf(party.clearance)
      ? `${code} exceeds the clearance of ${party.id} (${party.clearance})`
      : null;
  },
};

/** Eurostat and the like receive aggregated statistics and nothing else. */
export const aggregatesOnly: SharingRule = {
  code: 'POLICY.AGGREGATES_ONLY',
  description:
    'A statistics recipient (Eurostat) receives only aggregated analysis products without personal data.',
  check: ({ envelope, candidate }) => {
    if (!candidate.party.aggregatesOnly) return null;
    const p = envelope.payload;
    const aggregated = p.case === 'analysisProduct' && p.value.aggregated && !envelope.containsPersonalData;
    return aggregated ? null : `${candidate.node} receives aggregated statistics only`;
  },
};

export const thirdCountryAgreement: SharingRule = {
  code: 'POLICY.THIRD_COUNTRY_NO_AGREEMENT',
  description: 'A third country receives nothing without a registered agreement in force.',
  check: (ctx) =>
    isThirdCountryParty(ctx.candidate.party) && agreementsInForce(ctx).length === 0
      ? `no agreement with ${ctx.candidate.party.country} is in force`
      : null,
};

export const thirdCountryReleasable: SharingRule = {
  code: 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE',
  description: 'A third country receives only items whose releasability names it.',
  check: ({ envelope, candidate }) => {
    if (!isThirdCountryParty(candidate.party)) return null;
    const r = envelope.releasability;
    if (r?.scope === ReleasabilityScope.THIRD_COUNTRIES && r.thirdCountries.includes(candidate.party.country))
      return null;
    return `the item is not released to ${candidate.party.country}`;
  },
};

export const thirdCountryHandlingCode: SharingRule = {
  code: 'POLICY.THIRD_COUNTRY_HANDLING_CODE',
  description: "An agreement in force with the third country covers the item's handling code.",
  check: (ctx) =>
    isThirdCountryParty(ctx.candidate.party) && coveringCode(ctx).length === 0
      ? `no agreement with ${ctx.candidate.party.country} covers ${handlingLabel(ctx.envelope.handlingCode)}`
      : null,
};

export const thirdCountryPersonalData: SharingRule = {
  code: 'POLICY.THIRD_COUNTRY_PERSONAL_DATA',
  description:
    'Personal data reaches a third country only under an agreement that covers the handling code and states a legal basis for it.',
  check: (ctx) => {
    if (!isThirdCountryParty(ctx.candidate.party) || !ctx.envelope.containsPersonalData) return null;
    return coveringCode(ctx).some((a) => a.personalData && a.legalBasis)
      ? null
      : `no legal basis for personal data to ${ctx.candidate.party.country}`;
  },
};

/**
 * H2/H3 reaches a third country only as a named recipient, never by subscription: named by the originator, or
 * by a party forwarding a copy under the originator's consent (which `forwardConsented` checks).
 */
export const thirdCountryRestrictedNeedsConsent: SharingRule = {
  code: 'POLICY.THIRD_COUNTRY_NEEDS_CONSENT',
  description:
    'H2 and H3 items reach a third country only when the originator names it, never by subscription.',
  check: ({ envelope, candidate }) => {
    if (!isThirdCountryParty(candidate.party)) return null;
    if (envelope.handlingCode !== HandlingCode.H2 && envelope.handlingCode !== HandlingCode.H3) return null;
    return candidate.named
      ? null
      : `${handlingLabel(envelope.handlingCode)} and ${candidate.node} was not named by the originator`;
  },
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

/**
 * A new item reworded around the selectors of another party's restricted intelligence that its sender
 * received (see `derivedFrom`) is onward sharing: it reaches only parties that already hold that original,
 * or its originator, and only with handling and TLP no weaker than the original's; everyone else needs the
 * originator's consent. So corroboration among the holders goes on (JOT MARE correlating reports of one
 * vessel), while no one new learns the intelligence and no holder gets it with weaker handling.
 */
export const derivedReachesHoldersOnly: SharingRule = {
  code: 'POLICY.ONWARD_SHARING_NEEDS_CONSENT',
  description:
    "A reworded copy of another party's restricted intelligence (the same selectors) reaches only the parties that already hold the original, with no weaker handling or TLP.",
  check: ({ envelope, facts, candidate }) => {
    for (const d of derivedFrom(envelope, facts)) {
      if (d.by !== 'selectors') continue;
      const o = d.original;
      const what = `it carries ${d.shared} of the selectors of ${o.messageId} of ${o.originator}`;
      if (candidate.node !== o.originator && !o.recipients.includes(candidate.node))
        return `${what}, which ${candidate.node} does not hold; ask for consent with a share request`;
      if (envelope.handlingCode < o.handlingCode || envelope.tlp < o.tlp)
        return `${what} with weaker handling than the original`;
    }
    return null;
  },
};

/** A forwarded copy reaches only the recipients the originator consented to. */
export const forwardConsented: SharingRule = {
  code: 'POLICY.FORWARD_NOT_CONSENTED',
  description: 'A forwarded copy reaches only the recipients named in the consent.',
  check: ({ envelope, candidate, facts }) =>
    isForward(envelope) && !facts.consent?.grantedRecipients.includes(candidate.node)
      ? `the originator's consent does not cover ${candidate.node}`
      : null,
};

/**
 * Applied in order to each candidate known to the directory, except for recalls and erasure receipts, which
 * must reach everyone concerned; the first that withholds decides.
 */
export const SHARING_RULES: readonly SharingRule[] = [
  matcherReceivesTokensOnly,
  recipientCleared,
  aggregatesOnly,
  thirdCountryAgreement,
  thirdCountryReleasable,
  thirdCountryHandlingCode,
  thirdCountryPersonalData,
  thirdCountryRestrictedNeedsConsent,
  tlpRedNamedOnly,
  forwardConsented,
  derivedReachesHoldersOnly,
];

/**
 * The code under which a candidate recipient that is not a party of the directory is withheld, before any
 * sharing rule (recalls and erasure receipts included); stable, cited in audit rows and receipts.
 */
export const RECIPIENT_UNKNOWN = 'POLICY.RECIPIENT_UNKNOWN';
