import { describe, expect, it } from '@jest/globals';
import { personalDataPaths, validateEnvelopeJson } from './index.js';
import { found, VALIDATION_NOW as NOW } from './violations-fixture.js';
import {
  asJson,
  validAcknowledgementEnvelope,
  validAnalysisProductEnvelope,
  validCrossCheckRequestEnvelope,
  validDebriefingReportEnvelope,
  validErasureReceiptEnvelope,
  validFinancialLeadEnvelope,
  validHitNoticeEnvelope,
  validModusOperandiReportEnvelope,
  validRecallEnvelope,
  validRouteReportEnvelope,
  validShareRequestEnvelope,
  validVesselAlertEnvelope,
} from '#testing';

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

  it('says that it found no payload at all', () => {
    const envelope = validRouteReportEnvelope();
    delete envelope.routeReport;
    expect(validateEnvelopeJson(asJson(envelope), { now: NOW })[0]?.message).toBe(
      'message must carry exactly one payload (for example routeReport); found none',
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

  it.each([['HANDLING_CODE_H0'], ['HANDLING_CODE_H1'], ['HANDLING_CODE_H2']])(
    'restrictionOnlyWithH3: refuses a restriction text with %s',
    (handlingCode) => {
      const envelope = validRouteReportEnvelope({
        handlingCode,
        handlingRestriction: 'Do not share with Frontex',
      });
      expect(found(envelope)).toEqual([{ field: 'handlingRestriction', rule: 'restrictionOnlyWithH3' }]);
      expect(validateEnvelopeJson(asJson(envelope), { now: NOW })[0]?.message).toBe(
        `handlingRestriction is only allowed with HANDLING_CODE_H3, not with ${handlingCode}`,
      );
    },
  );
});

describe('TLP', () => {
  it('namedOnlyRequiresRecipients: refuses an item for its named recipients only that names none', () => {
    const envelope = validRouteReportEnvelope({ recipients: [], namedRecipientsOnly: true });
    expect(found(envelope)).toEqual([{ field: 'recipients', rule: 'namedOnlyRequiresRecipients' }]);
    expect(found(validRouteReportEnvelope({ namedRecipientsOnly: true }))).toEqual([]);
  });

  it('tlpRedRequiresRecipients: refuses TLP_RED without named recipients', () => {
    const envelope = validRouteReportEnvelope({ tlp: 'TLP_RED' });
    delete envelope.recipients;
    expect(found(envelope)).toEqual([{ field: 'recipients', rule: 'tlpRedRequiresRecipients' }]);
  });

  it('accepts TLP_RED with named recipients', () => {
    expect(found(validRouteReportEnvelope({ tlp: 'TLP_RED' }))).toEqual([]);
  });

  it('accepts a TLP_RED recall and erasure receipt that name no one: the item says whom they reach', () => {
    expect(found(validRecallEnvelope({ tlp: 'TLP_RED', recipients: [] }))).toEqual([]);
    expect(found(validErasureReceiptEnvelope({ tlp: 'TLP_RED', recipients: [] }))).toEqual([]);
  });

  it('still refuses another TLP_RED control message that names no one', () => {
    expect(found(validShareRequestEnvelope({ tlp: 'TLP_RED', recipients: [] }))).toEqual([
      { field: 'recipients', rule: 'tlpRedRequiresRecipients' },
    ]);
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
    const envelope = validRouteReportEnvelope({
      releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES' },
    });
    expect(found(envelope)).toEqual([
      { field: 'releasability.thirdCountries', rule: 'releasabilityCoherent' },
    ]);
    expect(validateEnvelopeJson(asJson(envelope), { now: NOW })[0]?.message).toBe(
      'releasability.thirdCountries must name at least one country for RELEASABILITY_SCOPE_THIRD_COUNTRIES',
    );
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

  it('names every place that holds personal data, each once', () => {
    const envelope = validDebriefingReportEnvelope();
    delete envelope.containsPersonalData;
    const message = validateEnvelopeJson(asJson(envelope), { now: NOW })[0]?.message ?? '';
    const places = message
      .replace(/^containsPersonalData must be true: /, '')
      .replace(/ hold personal data$/, '')
      .split(', ');
    expect(places.length).toBeGreaterThan(1);
    expect(places).toEqual([...new Set(places)]);
    expect(places).toContain('debriefingReport.selectors.phoneNumbers');
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

  it.each([
    ['SELECTOR_KIND_IBAN', 'LY83002048000020100120361'],
    ['SELECTOR_KIND_DOCUMENT_NUMBER', 'YA1234567'],
  ])('refuses a cross-check of an account or document (%s) not flagged', (kind, value) => {
    const envelope = validCrossCheckRequestEnvelope({ containsPersonalData: false });
    envelope.crossCheckRequest!.selectors = [{ kind, value }];
    expect(found(envelope)).toEqual([{ field: 'containsPersonalData', rule: 'personalDataFlagRequired' }]);
  });

  it('refuses a hit on an IBAN not flagged, and accepts a hit on a vessel without the flag', () => {
    const iban = validHitNoticeEnvelope({ containsPersonalData: false });
    iban.hitNotice!.selector = { kind: 'SELECTOR_KIND_IBAN', value: 'LY83002048000020100120361' };
    expect(found(iban)).toEqual([{ field: 'containsPersonalData', rule: 'personalDataFlagRequired' }]);
    const vessel = validHitNoticeEnvelope({ containsPersonalData: false });
    vessel.hitNotice!.selector = { kind: 'SELECTOR_KIND_MMSI', value: '642123456' };
    expect(found(vessel)).toEqual([]);
  });

  it('refuses IBANs from a debriefing not flagged', () => {
    const envelope = validDebriefingReportEnvelope({ containsPersonalData: false });
    delete envelope.debriefingReport!.facilitators;
    envelope.debriefingReport!.selectors = { ibans: ['LY83002048000020100120361'] };
    expect(found(envelope)).toEqual([{ field: 'containsPersonalData', rule: 'personalDataFlagRequired' }]);
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

describe('personalDataPaths', () => {
  it('names every part of a debriefing that holds personal data, in a stable order', () => {
    const envelope = validDebriefingReportEnvelope();
    envelope.debriefingReport!.selectors = {
      phoneNumbers: ['+218912345678'],
      ibans: ['LY83002048000020100120361'],
      vesselNames: ['AL FAJR'],
    };
    expect(personalDataPaths(envelope)).toEqual([
      'debriefingReport.selectors.phoneNumbers',
      'debriefingReport.selectors.ibans',
      'debriefingReport.facilitators',
    ]);
  });

  it('names the accounts of a financial lead', () => {
    expect(personalDataPaths(validFinancialLeadEnvelope())).toEqual(['financialLead.accounts']);
  });

  it('names the selectors of a cross-check that point at a person, not those that point at a vessel or a URL', () => {
    const envelope = validCrossCheckRequestEnvelope();
    envelope.crossCheckRequest!.selectors = [
      { kind: 'SELECTOR_KIND_PHONE_NUMBER', value: '+218912345678' },
      { kind: 'SELECTOR_KIND_IMO_NUMBER', value: '9074729' },
      { kind: 'SELECTOR_KIND_IBAN', value: 'LY83002048000020100120361' },
      { kind: 'SELECTOR_KIND_DOCUMENT_NUMBER', value: 'YA1234567' },
      { kind: 'SELECTOR_KIND_MMSI', value: '642123456' },
      { kind: 'SELECTOR_KIND_URL', value: 'https://t.me/s/crossings_channel' },
    ];
    expect(personalDataPaths(envelope)).toEqual([
      'crossCheckRequest.selectors[0]',
      'crossCheckRequest.selectors[2]',
      'crossCheckRequest.selectors[3]',
    ]);
  });

  it('names the selector of a hit on a phone number', () => {
    expect(personalDataPaths(validHitNoticeEnvelope())).toEqual(['hitNotice.selector']);
  });

  it('finds nothing personal in a route report or a debriefing with vessel names only', () => {
    expect(personalDataPaths(validRouteReportEnvelope())).toEqual([]);
    const envelope = validDebriefingReportEnvelope();
    delete envelope.debriefingReport!.facilitators;
    envelope.debriefingReport!.selectors = { vesselNames: ['AL FAJR'], phoneNumbers: [], ibans: [] };
    expect(personalDataPaths(envelope)).toEqual([]);
  });
});

describe('personalDataRequiresPurpose', () => {
  it('refuses personal data without a purpose', () => {
    const envelope = validFinancialLeadEnvelope();
    delete envelope.purpose;
    expect(found(envelope)).toEqual([{ field: 'purpose', rule: 'personalDataRequiresPurpose' }]);
  });

  it('refuses personal data whose purpose is blank', () => {
    expect(found(validFinancialLeadEnvelope({ purpose: ' \t ' }))).toEqual([
      { field: 'purpose', rule: 'personalDataRequiresPurpose' },
    ]);
  });

  it('does not ask for a purpose when no personal data travels', () => {
    const envelope = validRouteReportEnvelope({ containsPersonalData: false });
    delete envelope.purpose;
    expect(found(envelope)).toEqual([]);
  });
});

describe('purposes', () => {
  it('takes the purposes an item serves, each once, by their contract names', () => {
    const purposes = ['PURPOSE_CRIMINAL_INVESTIGATION', 'PURPOSE_BORDER_MANAGEMENT'];
    expect(found(validRouteReportEnvelope({ purposes }))).toEqual([]);
    expect(
      found(validRouteReportEnvelope({ purposes: ['PURPOSE_RISK_ANALYSIS', 'PURPOSE_RISK_ANALYSIS'] })),
    ).toEqual([{ field: 'purposes', rule: 'uniqueValues' }]);
    expect(found(validRouteReportEnvelope({ purposes: ['PURPOSE_UNSPECIFIED'] }))).toEqual([
      { field: 'purposes[0]', rule: 'protoEnum' },
    ]);
    expect(
      found(validRouteReportEnvelope({ purposes: ['PURPOSE_RISK_ANALYSIS', 'criminal-investigation'] })),
    ).toEqual([{ field: 'purposes[1]', rule: 'protoEnum' }]);
  });

  it('purposesOnItemsOnly: refuses purposes on a control message, naming its type', () => {
    const ack = validAcknowledgementEnvelope({ purposes: ['PURPOSE_RISK_ANALYSIS'] });
    expect(found(ack)).toEqual([{ field: 'purposes', rule: 'purposesOnItemsOnly' }]);
    expect(validateEnvelopeJson(asJson(ack), { now: NOW })[0]?.message).toBe(
      'purposes are stated on intelligence and products only, not on a acknowledgement',
    );
    expect(found(validAcknowledgementEnvelope({ purposes: [] }))).toEqual([]);
    // Products are items: a hub states what its product serves.
    expect(found(validAnalysisProductEnvelope({ purposes: ['PURPOSE_RISK_ANALYSIS'] }))).toEqual([]);
    expect(found(validVesselAlertEnvelope({ purposes: ['PURPOSE_BORDER_MANAGEMENT'] }))).toEqual([]);
  });

  it('judicialUseNotUnderH1: refuses judicial proceedings as the purpose of an H1 item, and takes it under H0', () => {
    const purposes = ['PURPOSE_JUDICIAL_PROCEEDINGS'];
    expect(found(validRouteReportEnvelope({ handlingCode: 'HANDLING_CODE_H1', purposes }))).toEqual([
      { field: 'purposes', rule: 'judicialUseNotUnderH1' },
    ]);
    expect(found(validRouteReportEnvelope({ handlingCode: 'HANDLING_CODE_H0', purposes }))).toEqual([]);
    expect(
      found(
        validRouteReportEnvelope({ handlingCode: 'HANDLING_CODE_H1', purposes: ['PURPOSE_RISK_ANALYSIS'] }),
      ),
    ).toEqual([]);
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
