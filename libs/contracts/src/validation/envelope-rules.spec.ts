import { describe, expect, it } from '@jest/globals';
import {
  asJson,
  validAcknowledgementEnvelope,
  validCrossCheckRequestEnvelope,
  validDebriefingReportEnvelope,
  validFinancialLeadEnvelope,
  validModusOperandiReportEnvelope,
  validRouteReportEnvelope,
  validateEnvelopeJson,
  type EnvelopeJson,
} from './index.js';

const NOW = new Date('2025-07-01T00:00:00Z');

/** The (field, rule) pairs of an envelope's violations, as it would arrive on the wire. */
function found(envelope: EnvelopeJson, now: Date = NOW): { field: string; rule: string }[] {
  return validateEnvelopeJson(asJson(envelope), { now }).map(({ field, rule }) => ({ field, rule }));
}

describe('exactlyOnePayload', () => {
  it('refuses an envelope without payload', () => {
    const envelope = validRouteReportEnvelope();
    delete envelope.routeReport;
    expect(found(envelope)).toEqual([{ field: '', rule: 'exactlyOnePayload' }]);
  });

  it('refuses an envelope with two payloads', () => {
    const envelope = validRouteReportEnvelope({
      modusOperandiReport: validModusOperandiReportEnvelope().modusOperandiReport,
    });
    expect(found(envelope)).toEqual([{ field: '', rule: 'exactlyOnePayload' }]);
    expect(validateEnvelopeJson(asJson(envelope), { now: NOW })[0]?.message).toContain(
      'routeReport, modusOperandiReport',
    );
  });
});

describe('recipients', () => {
  it('recipientNotSender: refuses the sender among its own recipients', () => {
    expect(found(validRouteReportEnvelope({ recipients: ['cp-it', 'emlo-ne'] }))).toEqual([
      { field: 'recipients[1]', rule: 'recipientNotSender' },
    ]);
  });

  it('accepts an envelope without explicit recipients (topic subscribers receive it)', () => {
    const envelope = validRouteReportEnvelope();
    delete envelope.recipients;
    expect(found(envelope)).toEqual([]);
  });
});

describe('handling code', () => {
  it('h3RequiresRestriction: refuses H3 without a restriction', () => {
    expect(found(validRouteReportEnvelope({ handlingCode: 'HANDLING_CODE_H3' }))).toEqual([
      { field: 'handlingRestriction', rule: 'h3RequiresRestriction' },
    ]);
  });

  it('h3RequiresRestriction: refuses a blank restriction', () => {
    expect(
      found(validRouteReportEnvelope({ handlingCode: 'HANDLING_CODE_H3', handlingRestriction: '  \n' })),
    ).toEqual([{ field: 'handlingRestriction', rule: 'h3RequiresRestriction' }]);
  });

  it('accepts H3 with its restriction', () => {
    const envelope = validRouteReportEnvelope({
      handlingCode: 'HANDLING_CODE_H3',
      handlingRestriction: 'Not to be used for return procedures before 1 September 2025',
    });
    expect(found(envelope)).toEqual([]);
  });

  it('restrictionOnlyWithH3: refuses a restriction text with another handling code', () => {
    expect(found(validRouteReportEnvelope({ handlingRestriction: 'Do not share with Frontex' }))).toEqual([
      { field: 'handlingRestriction', rule: 'restrictionOnlyWithH3' },
    ]);
  });
});

describe('TLP', () => {
  it('tlpRedRequiresRecipients: refuses TLP_RED without named recipients', () => {
    const envelope = validRouteReportEnvelope({ tlp: 'TLP_RED' });
    delete envelope.recipients;
    expect(found(envelope)).toEqual([{ field: 'recipients', rule: 'tlpRedRequiresRecipients' }]);
  });

  it('accepts TLP_RED with named recipients', () => {
    expect(found(validRouteReportEnvelope({ tlp: 'TLP_RED' }))).toEqual([]);
  });

  it.each([['HANDLING_CODE_H2'], ['HANDLING_CODE_H3']])(
    'tlpClearForbidsDisseminationLimits: refuses TLP_CLEAR with %s',
    (code) => {
      const envelope = validRouteReportEnvelope({ tlp: 'TLP_CLEAR', handlingCode: code });
      if (code === 'HANDLING_CODE_H3')
        envelope.handlingRestriction = 'Only for the investigation in Agrigento';
      expect(found(envelope)).toEqual([{ field: 'tlp', rule: 'tlpClearForbidsDisseminationLimits' }]);
    },
  );

  it('accepts TLP_CLEAR with H0 or H1', () => {
    expect(found(validRouteReportEnvelope({ tlp: 'TLP_CLEAR', handlingCode: 'HANDLING_CODE_H0' }))).toEqual(
      [],
    );
    expect(found(validRouteReportEnvelope({ tlp: 'TLP_CLEAR', handlingCode: 'HANDLING_CODE_H1' }))).toEqual(
      [],
    );
  });
});

describe('releasabilityCoherent', () => {
  it('refuses THIRD_COUNTRIES without a country', () => {
    expect(
      found(validRouteReportEnvelope({ releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES' } })),
    ).toEqual([{ field: 'releasability.thirdCountries', rule: 'releasabilityCoherent' }]);
  });

  it('refuses EU_ONLY with a third country', () => {
    const releasability = { scope: 'RELEASABILITY_SCOPE_EU_ONLY', thirdCountries: ['NE'] };
    expect(found(validRouteReportEnvelope({ releasability }))).toEqual([
      { field: 'releasability.thirdCountries', rule: 'releasabilityCoherent' },
    ]);
  });

  it('refuses EU member states, unknown codes and repeats among third countries', () => {
    const releasability = {
      scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES',
      thirdCountries: ['NE', 'IT', 'ZZ', 'NE'],
    };
    expect(found(validRouteReportEnvelope({ releasability }))).toEqual([
      { field: 'releasability.thirdCountries[2]', rule: 'iso3166Alpha2' },
      { field: 'releasability.thirdCountries[1]', rule: 'notEuMemberState' },
      { field: 'releasability.thirdCountries', rule: 'uniqueValues' },
    ]);
  });

  it('accepts several third countries, Kosovo included', () => {
    const releasability = {
      scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES',
      thirdCountries: ['NE', 'TN', 'RS', 'XK'],
    };
    expect(found(validRouteReportEnvelope({ releasability }))).toEqual([]);
  });
});

describe('evaluationRequired', () => {
  it('refuses intelligence without evaluation', () => {
    const envelope = validRouteReportEnvelope();
    delete envelope.evaluation;
    expect(found(envelope)).toEqual([
      { field: 'evaluation.sourceReliability', rule: 'evaluationRequired' },
      { field: 'evaluation.informationAccuracy', rule: 'evaluationRequired' },
    ]);
  });

  it('refuses intelligence with half an evaluation', () => {
    const envelope = validRouteReportEnvelope({ evaluation: { sourceReliability: 'SOURCE_RELIABILITY_A' } });
    expect(found(envelope)).toEqual([
      { field: 'evaluation.informationAccuracy', rule: 'evaluationRequired' },
    ]);
  });

  it('does not ask control messages for an evaluation', () => {
    const envelope = validAcknowledgementEnvelope();
    expect(envelope.evaluation).toBeUndefined();
    expect(found(envelope)).toEqual([]);
  });
});

describe('routeRequired', () => {
  it('refuses intelligence without a route', () => {
    const envelope = validModusOperandiReportEnvelope();
    delete envelope.route;
    expect(found(envelope)).toEqual([{ field: 'route', rule: 'routeRequired' }]);
  });

  it('does not ask control messages for a route', () => {
    expect(validAcknowledgementEnvelope().route).toBeUndefined();
    expect(found(validAcknowledgementEnvelope())).toEqual([]);
  });
});

describe('personalDataFlagRequired', () => {
  it('refuses bank accounts in a financial lead not flagged as personal data', () => {
    expect(found(validFinancialLeadEnvelope({ containsPersonalData: false }))).toEqual([
      { field: 'containsPersonalData', rule: 'personalDataFlagRequired' },
    ]);
  });

  it('refuses phone numbers from a debriefing not flagged, naming where the personal data is', () => {
    const envelope = validDebriefingReportEnvelope();
    delete envelope.containsPersonalData;
    delete envelope.debriefingReport!.facilitators;
    const violations = validateEnvelopeJson(asJson(envelope), { now: NOW });
    expect(violations.map(({ field, rule }) => ({ field, rule }))).toEqual([
      { field: 'containsPersonalData', rule: 'personalDataFlagRequired' },
    ]);
    expect(violations[0]?.message).toBe(
      'containsPersonalData must be true: debriefingReport.selectors.phoneNumbers hold personal data',
    );
  });

  it('refuses described facilitators not flagged', () => {
    const envelope = validDebriefingReportEnvelope({ containsPersonalData: false });
    delete envelope.debriefingReport!.selectors;
    expect(found(envelope)).toEqual([{ field: 'containsPersonalData', rule: 'personalDataFlagRequired' }]);
  });

  it('refuses a cross-check of a phone number not flagged', () => {
    expect(found(validCrossCheckRequestEnvelope({ containsPersonalData: false }))).toEqual([
      { field: 'containsPersonalData', rule: 'personalDataFlagRequired' },
    ]);
  });

  it('accepts a cross-check of vessels only without the flag', () => {
    const envelope = validCrossCheckRequestEnvelope({ containsPersonalData: false });
    envelope.crossCheckRequest!.selectors = [{ kind: 'SELECTOR_KIND_IMO_NUMBER', value: '9074729' }];
    expect(found(envelope)).toEqual([]);
  });

  it('accepts a debriefing with only vessel names without the flag', () => {
    const envelope = validDebriefingReportEnvelope({ containsPersonalData: false });
    delete envelope.debriefingReport!.facilitators;
    envelope.debriefingReport!.selectors = { vesselNames: ['AL FAJR'] };
    expect(found(envelope)).toEqual([]);
  });
});

describe('personalDataRequiresPurpose', () => {
  it('refuses personal data without a purpose', () => {
    const envelope = validFinancialLeadEnvelope();
    delete envelope.purpose;
    expect(found(envelope)).toEqual([{ field: 'purpose', rule: 'personalDataRequiresPurpose' }]);
  });
});

describe('times of the envelope', () => {
  it('expiryAfterCreation: refuses an expiry at or before creation', () => {
    expect(found(validRouteReportEnvelope({ expiresAt: '2025-06-12T08:30:00Z' }))).toEqual([
      { field: 'expiresAt', rule: 'expiryAfterCreation' },
    ]);
    expect(found(validRouteReportEnvelope({ expiresAt: '2025-06-12T10:29:59+02:00' }))).toEqual([
      { field: 'expiresAt', rule: 'expiryAfterCreation' },
    ]);
  });

  it('accepts an expiry one second after creation', () => {
    expect(found(validRouteReportEnvelope({ expiresAt: '2025-06-12T08:30:01Z' }))).toEqual([]);
  });

  it('createdAtNotInFuture: refuses a creation time beyond the clock skew', () => {
    const now = new Date('2025-06-12T08:24:59Z');
    expect(found(validRouteReportEnvelope(), now)).toEqual([
      { field: 'createdAt', rule: 'createdAtNotInFuture' },
    ]);
  });

  it('tolerates five minutes of clock skew', () => {
    expect(found(validRouteReportEnvelope(), new Date('2025-06-12T08:25:00Z'))).toEqual([]);
  });

  it('notSelfReference: refuses a reply to itself and consent from itself', () => {
    const envelope = validRouteReportEnvelope();
    envelope.inReplyTo = envelope.id;
    envelope.consentRef = envelope.id;
    expect(found(envelope)).toEqual([
      { field: 'inReplyTo', rule: 'notSelfReference' },
      { field: 'consentRef', rule: 'notSelfReference' },
    ]);
  });
});
