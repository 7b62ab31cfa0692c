/**
 * Coherence rules inside one payload: what a report must say to be usable, and which combinations of
 * fields contradict each other. Each rule is named in rule-names.ts and tested on its own.
 */
import { CLOCK_SKEW_MS, type CoherenceRule, given, isBlank, items, prop, violation } from './coherence.js';
import type { EnvelopeDto } from './envelope.dto.js';
import { RULE } from './rule-names.js';
import { timestampMillis } from './rules.js';

/** Paths and values of the times of reported events: none of them can be later than the report. */
function eventTimes(envelope: EnvelopeDto): [string, unknown][] {
  const period = prop(envelope.routeReport, 'period');
  return [
    ['routeReport.period.start', prop(period, 'start')],
    ['routeReport.period.end', prop(period, 'end')],
    ['modusOperandiReport.firstObservedAt', prop(envelope.modusOperandiReport, 'firstObservedAt')],
    ...items(prop(envelope.financialLead, 'payments')).map((payment, i): [string, unknown] => [
      `financialLead.payments[${i}].executedAt`,
      prop(payment, 'executedAt'),
    ]),
    [
      'suspectVesselReport.lastPosition.observedAt',
      prop(prop(envelope.suspectVesselReport, 'lastPosition'), 'observedAt'),
    ],
    ['documentFraudReport.detectedAt', prop(envelope.documentFraudReport, 'detectedAt')],
    ['internetContentReferral.capturedAt', prop(envelope.internetContentReferral, 'capturedAt')],
    ['debriefingReport.debriefedAt', prop(envelope.debriefingReport, 'debriefedAt')],
    ['acknowledgement.receivedAt', prop(envelope.acknowledgement, 'receivedAt')],
    ['erasureReceipt.erasedAt', prop(envelope.erasureReceipt, 'erasedAt')],
  ];
}

/** notAfterCreation: observed, detected, debriefed, received and erased times do not postdate createdAt. */
export const notAfterCreation: CoherenceRule = (envelope, { createdMs }) => {
  if (createdMs === undefined) return [];
  return eventTimes(envelope)
    .filter(([, value]) => (timestampMillis(value) ?? -Infinity) > createdMs + CLOCK_SKEW_MS)
    .map(([field]) => violation(field, RULE.notAfterCreation, `${field} must not be later than createdAt`));
};

/** shareDecisionCoherent: refusal gives a reason and grants no one; a grant names whom; consent outlives creation. */
export const shareDecisionCoherent: CoherenceRule = (envelope, { createdMs }) => {
  const decision = envelope.shareDecision;
  if (!given(decision)) return [];
  const granted = prop(decision, 'granted') === true;
  const recipients = items(prop(decision, 'grantedRecipients'));
  const found = [];
  if (granted && recipients.length === 0) {
    found.push(
      violation(
        'shareDecision.grantedRecipients',
        RULE.shareDecisionCoherent,
        'shareDecision.grantedRecipients must name at least one node when consent is granted',
      ),
    );
  }
  if (!granted && isBlank(prop(decision, 'reason'))) {
    found.push(
      violation(
        'shareDecision.reason',
        RULE.shareDecisionCoherent,
        'shareDecision.reason must explain a refusal',
      ),
    );
  }
  if (!granted && recipients.length > 0) {
    found.push(
      violation(
        'shareDecision.grantedRecipients',
        RULE.shareDecisionCoherent,
        'shareDecision.grantedRecipients must be empty when consent is refused',
      ),
    );
  }
  const validUntilMs = timestampMillis(prop(decision, 'validUntil'));
  if (createdMs !== undefined && validUntilMs !== undefined && validUntilMs <= createdMs) {
    found.push(
      violation(
        'shareDecision.validUntil',
        RULE.shareDecisionCoherent,
        'shareDecision.validUntil must be later than createdAt',
      ),
    );
  }
  return found;
};

/** statisticsAggregated: statistics hold aggregated figures only and no personal data. */
export const statisticsAggregated: CoherenceRule = (envelope) => {
  const product = envelope.analysisProduct;
  if (prop(product, 'kind') !== 'ANALYSIS_PRODUCT_KIND_STATISTICS') return [];
  const found = [];
  if (prop(product, 'aggregated') !== true) {
    found.push(
      violation(
        'analysisProduct.aggregated',
        RULE.statisticsAggregated,
        'analysisProduct.aggregated must be true for statistics',
      ),
    );
  }
  if (envelope.containsPersonalData === true) {
    found.push(
      violation(
        'containsPersonalData',
        RULE.statisticsAggregated,
        'containsPersonalData must be false for statistics',
      ),
    );
  }
  return found;
};

/** aggregatedIsNonPersonal: a product declared aggregated holds no personal data (statistics: see above). */
export const aggregatedIsNonPersonal: CoherenceRule = (envelope) => {
  const product = envelope.analysisProduct;
  return prop(product, 'aggregated') === true &&
    prop(product, 'kind') !== 'ANALYSIS_PRODUCT_KIND_STATISTICS' &&
    envelope.containsPersonalData === true
    ? [
        violation(
          'containsPersonalData',
          RULE.aggregatedIsNonPersonal,
          'containsPersonalData must be false for an aggregated product',
        ),
      ]
    : [];
};

/** vesselIdentified: a vessel report or alert names the vessel by IMO number, MMSI or name. */
export const vesselIdentified: CoherenceRule = (envelope) => {
  const checks: [string, unknown, string][] = [
    ['suspectVesselReport', envelope.suspectVesselReport, 'name'],
    ['vesselAlert', envelope.vesselAlert, 'vesselName'],
  ];
  return checks
    .filter(
      ([, payload, nameField]) =>
        given(payload) && !['imoNumber', 'mmsi', nameField].some((f) => given(prop(payload, f))),
    )
    .map(([field, , nameField]) =>
      violation(
        field,
        RULE.vesselIdentified,
        `${field} must give at least one of imoNumber, mmsi, ${nameField}`,
      ),
    );
};

/** financialLeadSubstance: a lead gives accounts, payments, an estimated total or a narrative. */
export const financialLeadSubstance: CoherenceRule = (envelope) => {
  const lead = envelope.financialLead;
  return given(lead) &&
    !['accounts', 'payments', 'estimatedTotal', 'narrative'].some((f) => given(prop(lead, f)))
    ? [
        violation(
          'financialLead',
          RULE.financialLeadSubstance,
          'financialLead must give accounts, payments, estimatedTotal or a narrative',
        ),
      ]
    : [];
};

/** modusOperandiDescribed: a modus operandi report lists indicators or tells a narrative. */
export const modusOperandiDescribed: CoherenceRule = (envelope) => {
  const report = envelope.modusOperandiReport;
  return given(report) && !given(prop(report, 'indicators')) && !given(prop(report, 'narrative'))
    ? [
        violation(
          'modusOperandiReport',
          RULE.modusOperandiDescribed,
          'modusOperandiReport must give indicators or a narrative',
        ),
      ]
    : [];
};

/** removalRequiresEvidence: content referred for removal was captured, with hash and time. */
export const removalRequiresEvidence: CoherenceRule = (envelope) => {
  const referral = envelope.internetContentReferral;
  if (prop(referral, 'requestedAction') !== 'REFERRAL_ACTION_REFER_FOR_REMOVAL') return [];
  return (['evidenceSha256', 'capturedAt'] as const)
    .filter((f) => !given(prop(referral, f)))
    .map((f) =>
      violation(
        `internetContentReferral.${f}`,
        RULE.removalRequiresEvidence,
        `internetContentReferral.${f} is required to refer content for removal`,
      ),
    );
};

/** withheldNamesRule: every withheld recipient decision names the rule that withheld it. */
export const withheldNamesRule: CoherenceRule = (envelope) =>
  items(prop(envelope.deliveryReceipt, 'decisions')).flatMap((decision, i) =>
    prop(decision, 'outcome') === 'DECISION_OUTCOME_WITHHELD' && isBlank(prop(decision, 'rule'))
      ? [
          violation(
            `deliveryReceipt.decisions[${i}].rule`,
            RULE.withheldNamesRule,
            `deliveryReceipt.decisions[${i}].rule must name the rule that withheld the message`,
          ),
        ]
      : [],
  );

/** holderPerMatch: a hit notice that names holders names exactly one for each matching item. */
export const holderPerMatch: CoherenceRule = (envelope) => {
  const notice = envelope.hitNotice;
  const holders = items(prop(notice, 'holders')).length;
  const matches = items(prop(notice, 'matchingMessageIds')).length;
  return holders > 0 && holders !== matches
    ? [
        violation(
          'hitNotice.holders',
          RULE.holderPerMatch,
          `hitNotice.holders must name one holder per matching message id (${holders} holders, ${matches} ids)`,
        ),
      ]
    : [];
};

/** The payload rules, in the order their violations are reported. */
export const PAYLOAD_RULES: readonly CoherenceRule[] = [
  notAfterCreation,
  shareDecisionCoherent,
  statisticsAggregated,
  aggregatedIsNonPersonal,
  vesselIdentified,
  financialLeadSubstance,
  modusOperandiDescribed,
  removalRequiresEvidence,
  withheldNamesRule,
  holderPerMatch,
];
