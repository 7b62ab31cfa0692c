/**
 * Coherence rules of the envelope: payload count, recipients, handling code, TLP, releasability,
 * evaluation, personal data and times. Each rule is named in rule-names.ts and tested on its own.
 */
import {
  CLOCK_SKEW_MS,
  type CoherenceRule,
  given,
  isBlank,
  isSet,
  items,
  prop,
  violation,
} from './coherence.js';
import { INTEL_TYPES, PAYLOAD_TYPES, PRODUCT_TYPES } from '../payload-kinds.js';
import type { EnvelopeDto } from './envelope.dto.js';
import { isJsonObject } from './json-shape.js';
import { RULE } from './rule-names.js';
import { timestampMillis } from './rules.js';

/** Handling codes that limit dissemination, which TLP:CLEAR (unlimited disclosure) contradicts. */
const DISSEMINATION_LIMITS = new Set(['HANDLING_CODE_H2', 'HANDLING_CODE_H3']);
const OTHER_HANDLING_CODES = new Set(['HANDLING_CODE_H0', 'HANDLING_CODE_H1', 'HANDLING_CODE_H2']);
/** Selector kinds that point at a person: a phone subscriber, an account holder, a document holder. */
const PERSONAL_SELECTOR_KINDS: ReadonlySet<unknown> = new Set([
  'SELECTOR_KIND_PHONE_NUMBER',
  'SELECTOR_KIND_IBAN',
  'SELECTOR_KIND_DOCUMENT_NUMBER',
]);

/** True when the envelope carries one of the seven intelligence payloads. */
export function carriesIntel(envelope: EnvelopeDto): boolean {
  return INTEL_TYPES.some((name) => isSet(envelope[name]));
}

/**
 * exactlyOnePayload: the `oneof payload` holds exactly one member. As for `fromJson`, a member given as
 * null still names the oneof: beside another member it is one too many, on its own it carries nothing.
 */
export const exactlyOnePayload: CoherenceRule = (envelope) => {
  const named = PAYLOAD_TYPES.filter((name) => envelope[name] !== undefined);
  if (named.length === 1 && isSet(envelope[named[0]])) return [];
  const found = named.length === 0 ? 'none' : named.join(', ');
  return [
    violation(
      '',
      RULE.exactlyOnePayload,
      `message must carry exactly one payload (for example routeReport); found ${found}`,
    ),
  ];
};

/** recipientNotSender: a node does not name itself as recipient. */
export const recipientNotSender: CoherenceRule = (envelope) =>
  items(envelope.recipients).flatMap((recipient, i) =>
    recipient === envelope.sender
      ? [
          violation(
            `recipients[${i}]`,
            RULE.recipientNotSender,
            `recipients[${i}] must not be the sender itself`,
          ),
        ]
      : [],
  );

/** h3RequiresRestriction and restrictionOnlyWithH3: the restriction text goes with H3 and only with H3. */
export const handlingRestriction: CoherenceRule = (envelope) => {
  const { handlingCode, handlingRestriction: restriction } = envelope;
  if (handlingCode === 'HANDLING_CODE_H3' && isBlank(restriction)) {
    return [
      violation(
        'handlingRestriction',
        RULE.h3RequiresRestriction,
        'handlingRestriction must state the restriction that HANDLING_CODE_H3 refers to',
      ),
    ];
  }
  if (OTHER_HANDLING_CODES.has(handlingCode) && given(restriction)) {
    return [
      violation(
        'handlingRestriction',
        RULE.restrictionOnlyWithH3,
        `handlingRestriction is only allowed with HANDLING_CODE_H3, not with ${handlingCode}`,
      ),
    ];
  }
  return [];
};

/**
 * tlpRedRequiresRecipients: TLP:RED is for named recipients, so some must be named. Except a recall and an
 * erasure receipt: marked like the item they concern, they go to the parties that hold it and to its
 * originator, whom the router knows from the item and not from the names (DESIGN: the recall reaches every
 * holder). Requiring names there made a RED item impossible to recall.
 */
export const tlpRedRequiresRecipients: CoherenceRule = (envelope) =>
  envelope.tlp === 'TLP_RED' &&
  items(envelope.recipients).length === 0 &&
  !isSet(envelope.recall) &&
  !isSet(envelope.erasureReceipt)
    ? [
        violation(
          'recipients',
          RULE.tlpRedRequiresRecipients,
          'recipients must name at least one node for TLP_RED',
        ),
      ]
    : [];

/** namedOnlyRequiresRecipients: an item meant for its named recipients only must name some. */
export const namedOnlyRequiresRecipients: CoherenceRule = (envelope) =>
  envelope.namedRecipientsOnly === true && items(envelope.recipients).length === 0
    ? [
        violation(
          'recipients',
          RULE.namedOnlyRequiresRecipients,
          'recipients must name at least one node when namedRecipientsOnly is true',
        ),
      ]
    : [];

/** tlpClearForbidsDisseminationLimits: TLP:CLEAR may be disclosed freely, H2 and H3 limit that. */
export const tlpClearForbidsDisseminationLimits: CoherenceRule = (envelope) =>
  envelope.tlp === 'TLP_CLEAR' && DISSEMINATION_LIMITS.has(envelope.handlingCode)
    ? [
        violation(
          'tlp',
          RULE.tlpClearForbidsDisseminationLimits,
          `tlp TLP_CLEAR cannot be combined with ${envelope.handlingCode}, which limits dissemination`,
        ),
      ]
    : [];

/** releasabilityCoherent: THIRD_COUNTRIES lists at least one, EU_ONLY lists none. */
export const releasabilityCoherent: CoherenceRule = (envelope) => {
  const scope = prop(envelope.releasability, 'scope');
  const countries = items(prop(envelope.releasability, 'thirdCountries'));
  const field = 'releasability.thirdCountries';
  if (scope === 'RELEASABILITY_SCOPE_THIRD_COUNTRIES' && countries.length === 0) {
    return [
      violation(
        field,
        RULE.releasabilityCoherent,
        `${field} must name at least one country for RELEASABILITY_SCOPE_THIRD_COUNTRIES`,
      ),
    ];
  }
  if (scope === 'RELEASABILITY_SCOPE_EU_ONLY' && countries.length > 0) {
    return [
      violation(field, RULE.releasabilityCoherent, `${field} must be empty for RELEASABILITY_SCOPE_EU_ONLY`),
    ];
  }
  return [];
};

/** evaluationRequired: intelligence carries both parts of the 4x4 evaluation. */
export const evaluationRequired: CoherenceRule = (envelope) =>
  carriesIntel(envelope) && (!isSet(envelope.evaluation) || isJsonObject(envelope.evaluation))
    ? (['sourceReliability', 'informationAccuracy'] as const)
        .filter((part) => !isSet(prop(envelope.evaluation, part)))
        .map((part) =>
          violation(
            `evaluation.${part}`,
            RULE.evaluationRequired,
            `evaluation.${part} is required for intelligence`,
          ),
        )
    : [];

/** routeRequired: intelligence names the route it concerns (topics are derived from it). */
export const routeRequired: CoherenceRule = (envelope) =>
  carriesIntel(envelope) && !isSet(envelope.route)
    ? [
        violation(
          'route',
          RULE.routeRequired,
          'route is required for intelligence (SMUGGLING_ROUTE_OTHER if none fits)',
        ),
      ]
    : [];

/** Paths of the payload parts that hold personal data, in a stable order. */
export function personalDataPaths(envelope: EnvelopeDto): string[] {
  const paths: string[] = [];
  if (items(prop(envelope.financialLead, 'accounts')).length > 0) paths.push('financialLead.accounts');
  const selectors = prop(envelope.debriefingReport, 'selectors');
  if (items(prop(selectors, 'phoneNumbers')).length > 0)
    paths.push('debriefingReport.selectors.phoneNumbers');
  if (items(prop(selectors, 'ibans')).length > 0) paths.push('debriefingReport.selectors.ibans');
  if (items(prop(envelope.debriefingReport, 'facilitators')).length > 0)
    paths.push('debriefingReport.facilitators');
  items(prop(envelope.crossCheckRequest, 'selectors')).forEach((selector, i) => {
    if (PERSONAL_SELECTOR_KINDS.has(prop(selector, 'kind'))) paths.push(`crossCheckRequest.selectors[${i}]`);
  });
  if (PERSONAL_SELECTOR_KINDS.has(prop(prop(envelope.hitNotice, 'selector'), 'kind'))) {
    paths.push('hitNotice.selector');
  }
  return paths;
}

/** personalDataFlagRequired: a payload holding personal data is flagged, so that sharing rules see it. */
export const personalDataFlagRequired: CoherenceRule = (envelope) => {
  const paths = personalDataPaths(envelope);
  return paths.length > 0 && envelope.containsPersonalData !== true
    ? [
        violation(
          'containsPersonalData',
          RULE.personalDataFlagRequired,
          `containsPersonalData must be true: ${paths.join(', ')} hold personal data`,
        ),
      ]
    : [];
};

/** personalDataRequiresPurpose: personal data is transferred only for a stated purpose. */
export const personalDataRequiresPurpose: CoherenceRule = (envelope) =>
  envelope.containsPersonalData === true && isBlank(envelope.purpose)
    ? [
        violation(
          'purpose',
          RULE.personalDataRequiresPurpose,
          'purpose must state why personal data is transferred',
        ),
      ]
    : [];

/** purposesOnItemsOnly: purposes say what an item may be used for; a control message is no item. */
export const purposesOnItemsOnly: CoherenceRule = (envelope) => {
  const type = PAYLOAD_TYPES.find((name) => isSet(envelope[name]));
  return items(envelope.purposes).length > 0 &&
    type !== undefined &&
    !INTEL_TYPES.includes(type) &&
    !PRODUCT_TYPES.includes(type)
    ? [
        violation(
          'purposes',
          RULE.purposesOnItemsOnly,
          `purposes are stated on intelligence and products only, not on a ${type}`,
        ),
      ]
    : [];
};

/**
 * judicialUseNotUnderH1: H1 keeps an item out of judicial proceedings without the provider's permission, so
 * an H1 item cannot name them as its purpose; the provider who allows that use marks it H0.
 */
export const judicialUseNotUnderH1: CoherenceRule = (envelope) =>
  envelope.handlingCode === 'HANDLING_CODE_H1' &&
  items(envelope.purposes).includes('PURPOSE_JUDICIAL_PROCEEDINGS')
    ? [
        violation(
          'purposes',
          RULE.judicialUseNotUnderH1,
          'purposes must not include PURPOSE_JUDICIAL_PROCEEDINGS under HANDLING_CODE_H1, which keeps the item ' +
            'out of judicial proceedings; mark it HANDLING_CODE_H0 to allow that use',
        ),
      ]
    : [];

/** expiryAfterCreation: a message does not expire before it exists. */
export const expiryAfterCreation: CoherenceRule = (envelope, { createdMs }) => {
  const expiresMs = timestampMillis(envelope.expiresAt);
  return createdMs !== undefined && expiresMs !== undefined && expiresMs <= createdMs
    ? [violation('expiresAt', RULE.expiryAfterCreation, 'expiresAt must be later than createdAt')]
    : [];
};

/** createdAtNotInFuture: createdAt is not ahead of the exchange's clock by more than CLOCK_SKEW_MS. */
export const createdAtNotInFuture: CoherenceRule = (_envelope, { createdMs, nowMs }) =>
  createdMs !== undefined && createdMs > nowMs + CLOCK_SKEW_MS
    ? [violation('createdAt', RULE.createdAtNotInFuture, 'createdAt must not be in the future')]
    : [];

/** notSelfReference: inReplyTo and consentRef refer to other messages. */
export const notSelfReference: CoherenceRule = (envelope) =>
  (['inReplyTo', 'consentRef'] as const)
    .filter((field) => given(envelope.id) && envelope[field] === envelope.id)
    .map((field) => violation(field, RULE.notSelfReference, `${field} must not be the message's own id`));

/** The envelope rules, in the order their violations are reported. */
export const ENVELOPE_RULES: readonly CoherenceRule[] = [
  exactlyOnePayload,
  recipientNotSender,
  handlingRestriction,
  tlpRedRequiresRecipients,
  namedOnlyRequiresRecipients,
  tlpClearForbidsDisseminationLimits,
  releasabilityCoherent,
  evaluationRequired,
  routeRequired,
  personalDataFlagRequired,
  personalDataRequiresPurpose,
  purposesOnItemsOnly,
  judicialUseNotUnderH1,
  createdAtNotInFuture,
  expiryAfterCreation,
  notSelfReference,
];
