import { describe, expect, it } from '@jest/globals';
import {
  asJson,
  validAnalysisProductEnvelope,
  validCrossCheckRequestEnvelope,
  validDebriefingReportEnvelope,
  validDeliveryReceiptEnvelope,
  validDocumentFraudReportEnvelope,
  validFinancialLeadEnvelope,
  validHitNoticeEnvelope,
  validInternetContentReferralEnvelope,
  validModusOperandiReportEnvelope,
  validRouteReportEnvelope,
  validShareDecisionEnvelope,
  validSuspectVesselReportEnvelope,
  validVesselAlertEnvelope,
  validateEnvelopeJson,
  type EnvelopeJson,
  type RouteSegmentDto,
} from './index.js';

const NOW = new Date('2025-07-01T00:00:00Z');

/** The (field, rule) pairs of an envelope's violations, as it would arrive on the wire. */
function found(envelope: EnvelopeJson): { field: string; rule: string }[] {
  return validateEnvelopeJson(asJson(envelope), { now: NOW }).map(({ field, rule }) => ({ field, rule }));
}

describe('what an analyst must fill in', () => {
  it('RouteReport needs at least one segment', () => {
    const envelope = validRouteReportEnvelope();
    envelope.routeReport!.segments = [];
    expect(found(envelope)).toEqual([{ field: 'routeReport.segments', rule: 'required' }]);
  });

  it('a route segment needs the countries it leaves and reaches', () => {
    const envelope = validRouteReportEnvelope();
    envelope.routeReport!.segments = [{ fromPlace: 'Zuwara' } as RouteSegmentDto];
    expect(found(envelope)).toEqual([
      { field: 'routeReport.segments[0].fromCountry', rule: 'required' },
      { field: 'routeReport.segments[0].toCountry', rule: 'required' },
    ]);
  });

  it('FinancialLead needs a channel', () => {
    const envelope = validFinancialLeadEnvelope();
    delete (envelope.financialLead as { channel?: string }).channel;
    expect(found(envelope)).toEqual([{ field: 'financialLead.channel', rule: 'required' }]);
  });

  it('InternetContentReferral needs url, kind and requested action', () => {
    const envelope = validInternetContentReferralEnvelope();
    envelope.internetContentReferral = { language: 'ar' } as NonNullable<
      EnvelopeJson['internetContentReferral']
    >;
    expect(found(envelope)).toEqual([
      { field: 'internetContentReferral.url', rule: 'required' },
      { field: 'internetContentReferral.kind', rule: 'required' },
      { field: 'internetContentReferral.requestedAction', rule: 'required' },
    ]);
  });

  it('DebriefingReport needs hotspot, hotspot country and debriefing date', () => {
    const envelope = validDebriefingReportEnvelope({ containsPersonalData: false });
    envelope.debriefingReport = { nationality: 'ER' } as NonNullable<EnvelopeJson['debriefingReport']>;
    expect(found(envelope)).toEqual([
      { field: 'debriefingReport.hotspot', rule: 'required' },
      { field: 'debriefingReport.hotspotCountry', rule: 'required' },
      { field: 'debriefingReport.debriefedAt', rule: 'required' },
    ]);
  });

  it('a bank account needs a valid IBAN and an optional BIC', () => {
    const envelope = validFinancialLeadEnvelope();
    envelope.financialLead!.accounts![1] = { iban: 'MT84MALT011000012345MTLCAST001T', bic: 'MALTMT' };
    expect(found(envelope)).toEqual([
      { field: 'financialLead.accounts[1].iban', rule: 'ibanMod97' },
      { field: 'financialLead.accounts[1].bic', rule: 'bic' },
    ]);
  });

  it('an internet referral accepts only http(s) URLs', () => {
    const envelope = validInternetContentReferralEnvelope();
    envelope.internetContentReferral!.url = 'javascript:alert(document.cookie)';
    expect(found(envelope)).toEqual([{ field: 'internetContentReferral.url', rule: 'httpUrl' }]);
  });

  it('debriefing selectors are checked element by element', () => {
    const envelope = validDebriefingReportEnvelope();
    envelope.debriefingReport!.selectors = {
      phoneNumbers: ['+218912345678', '0912345678'],
      ibans: ['LY83002048000020100120362'],
      vesselImoNumbers: ['9074729', '9074728'],
    };
    expect(found(envelope)).toEqual([
      { field: 'debriefingReport.selectors.phoneNumbers[1]', rule: 'e164' },
      { field: 'debriefingReport.selectors.ibans[0]', rule: 'ibanMod97' },
      { field: 'debriefingReport.selectors.vesselImoNumbers[1]', rule: 'imoCheckDigit' },
    ]);
  });
});

describe('periodOrdered', () => {
  it('refuses a period that ends before it starts', () => {
    const envelope = validRouteReportEnvelope();
    envelope.routeReport!.period = { start: '2025-05-31T00:00:00Z', end: '2025-05-01T00:00:00Z' };
    expect(found(envelope)).toEqual([{ field: 'routeReport.period.end', rule: 'periodOrdered' }]);
  });

  it('accepts a period of one instant and an open-ended period', () => {
    const envelope = validRouteReportEnvelope();
    envelope.routeReport!.period = { start: '2025-05-31T00:00:00Z', end: '2025-05-31T02:00:00+02:00' };
    expect(found(envelope)).toEqual([]);
    envelope.routeReport!.period = { start: '2025-05-31T00:00:00Z' };
    expect(found(envelope)).toEqual([]);
  });
});

describe('selectorValueMatchesKind', () => {
  it.each([
    ['SELECTOR_KIND_PHONE_NUMBER', '00218912345678'],
    ['SELECTOR_KIND_IBAN', 'DE89370400440532013001'],
    ['SELECTOR_KIND_IMO_NUMBER', '9074728'],
    ['SELECTOR_KIND_MMSI', '970123456'],
    ['SELECTOR_KIND_URL', 'ftp://example.org/'],
    ['SELECTOR_KIND_DOCUMENT_NUMBER', 'YA 1234567'],
  ])('refuses a %s selector with value %j', (kind, value) => {
    const envelope = validCrossCheckRequestEnvelope();
    envelope.crossCheckRequest!.selectors[1] = { kind, value };
    expect(found(envelope)).toEqual([
      { field: 'crossCheckRequest.selectors[1].value', rule: 'selectorValueMatchesKind' },
    ]);
  });

  it.each([
    ['SELECTOR_KIND_IBAN', 'LY83002048000020100120361'],
    ['SELECTOR_KIND_MMSI', '642123456'],
    ['SELECTOR_KIND_URL', 'https://t.me/s/crossings_channel'],
    ['SELECTOR_KIND_DOCUMENT_NUMBER', 'YA1234567'],
  ])('accepts a %s selector with value %j', (kind, value) => {
    const envelope = validCrossCheckRequestEnvelope();
    envelope.crossCheckRequest!.selectors[1] = { kind, value };
    expect(found(envelope)).toEqual([]);
  });

  it('checks the selector of a hit notice too', () => {
    const envelope = validHitNoticeEnvelope();
    envelope.hitNotice!.selector.value = '+218 91 234 5678';
    expect(found(envelope)).toEqual([
      { field: 'hitNotice.selector.value', rule: 'selectorValueMatchesKind' },
    ]);
  });

  it('leaves the value alone when the kind itself is wrong', () => {
    const envelope = validCrossCheckRequestEnvelope();
    envelope.crossCheckRequest!.selectors[1] = { kind: 'SELECTOR_KIND_EMAIL', value: 'x@example.org' };
    expect(found(envelope)).toEqual([{ field: 'crossCheckRequest.selectors[1].kind', rule: 'protoEnum' }]);
  });
});

describe('shareDecisionCoherent', () => {
  it('refuses a refusal without a reason', () => {
    const envelope = validShareDecisionEnvelope();
    envelope.shareDecision = {
      ...envelope.shareDecision!,
      granted: false,
      reason: ' ',
      grantedRecipients: [],
    };
    expect(found(envelope)).toEqual([{ field: 'shareDecision.reason', rule: 'shareDecisionCoherent' }]);
  });

  it('refuses a refusal that grants recipients', () => {
    const envelope = validShareDecisionEnvelope();
    delete envelope.shareDecision!.granted;
    expect(found(envelope)).toEqual([
      { field: 'shareDecision.grantedRecipients', rule: 'shareDecisionCoherent' },
    ]);
  });

  it('refuses a grant that names no recipient', () => {
    const envelope = validShareDecisionEnvelope();
    delete envelope.shareDecision!.grantedRecipients;
    expect(found(envelope)).toEqual([
      { field: 'shareDecision.grantedRecipients', rule: 'shareDecisionCoherent' },
    ]);
  });

  it('refuses consent that ends before it is given', () => {
    const envelope = validShareDecisionEnvelope();
    envelope.shareDecision!.validUntil = '2025-06-12T10:00:00Z';
    expect(found(envelope)).toEqual([{ field: 'shareDecision.validUntil', rule: 'shareDecisionCoherent' }]);
  });

  it('accepts a reasoned refusal', () => {
    const envelope = validShareDecisionEnvelope();
    envelope.shareDecision = {
      requestId: envelope.shareDecision!.requestId,
      messageId: envelope.shareDecision!.messageId,
      reason: 'The source would be exposed.',
    };
    expect(found(envelope)).toEqual([]);
  });
});

describe('analysis products', () => {
  it('statisticsAggregated: refuses statistics not marked aggregated', () => {
    const envelope = validAnalysisProductEnvelope();
    envelope.analysisProduct!.aggregated = false;
    expect(found(envelope)).toEqual([{ field: 'analysisProduct.aggregated', rule: 'statisticsAggregated' }]);
  });

  it('statisticsAggregated: refuses statistics that contain personal data', () => {
    expect(found(validAnalysisProductEnvelope({ containsPersonalData: true }))).toEqual([
      { field: 'containsPersonalData', rule: 'statisticsAggregated' },
    ]);
  });

  it('aggregatedIsNonPersonal: refuses any aggregated product that contains personal data', () => {
    const envelope = validAnalysisProductEnvelope({ containsPersonalData: true });
    envelope.analysisProduct!.kind = 'ANALYSIS_PRODUCT_KIND_RISK_ANALYSIS';
    expect(found(envelope)).toEqual([{ field: 'containsPersonalData', rule: 'aggregatedIsNonPersonal' }]);
  });

  it('accepts a risk analysis that is not aggregated', () => {
    const envelope = validAnalysisProductEnvelope();
    envelope.analysisProduct!.kind = 'ANALYSIS_PRODUCT_KIND_RISK_ANALYSIS';
    delete envelope.analysisProduct!.aggregated;
    expect(found(envelope)).toEqual([]);
  });
});

describe('vesselIdentified', () => {
  it('refuses a suspect vessel report without IMO number, MMSI or name', () => {
    const envelope = validSuspectVesselReportEnvelope();
    const { imoNumber: _imo, mmsi: _mmsi, name: _name, ...rest } = envelope.suspectVesselReport!;
    envelope.suspectVesselReport = rest;
    expect(found(envelope)).toEqual([{ field: 'suspectVesselReport', rule: 'vesselIdentified' }]);
  });

  it('accepts a small craft known by name only', () => {
    const envelope = validSuspectVesselReportEnvelope();
    envelope.suspectVesselReport = { name: 'AL FAJR', type: 'VESSEL_TYPE_WOODEN_BOAT' };
    expect(found(envelope)).toEqual([]);
  });

  it('refuses a vessel alert without IMO number, MMSI or vessel name', () => {
    const envelope = validVesselAlertEnvelope();
    envelope.vesselAlert = { level: 'ALERT_LEVEL_WATCH', reason: 'Unusual loitering off Tobruk' };
    expect(found(envelope)).toEqual([{ field: 'vesselAlert', rule: 'vesselIdentified' }]);
  });
});

describe('financialLeadSubstance', () => {
  it('refuses a lead that gives only a channel', () => {
    const envelope = validFinancialLeadEnvelope({ containsPersonalData: false });
    envelope.financialLead = { channel: 'FINANCIAL_CHANNEL_HAWALA', fiuReference: 'UIF-2025-04417' };
    expect(found(envelope)).toEqual([{ field: 'financialLead', rule: 'financialLeadSubstance' }]);
  });

  it('accepts a hawala lead with a narrative only', () => {
    const envelope = validFinancialLeadEnvelope({ containsPersonalData: false });
    envelope.financialLead = {
      channel: 'FINANCIAL_CHANNEL_HAWALA',
      narrative: 'Hawala agent in Khartoum settles weekly.',
    };
    expect(found(envelope)).toEqual([]);
  });
});

describe('modusOperandiDescribed', () => {
  it('refuses a report with a title only', () => {
    const envelope = validModusOperandiReportEnvelope();
    delete envelope.modusOperandiReport!.indicators;
    delete envelope.modusOperandiReport!.narrative;
    expect(found(envelope)).toEqual([{ field: 'modusOperandiReport', rule: 'modusOperandiDescribed' }]);
  });

  it('accepts indicators without a narrative', () => {
    const envelope = validModusOperandiReportEnvelope();
    delete envelope.modusOperandiReport!.narrative;
    expect(found(envelope)).toEqual([]);
  });
});

describe('removalRequiresEvidence', () => {
  it('refuses a removal referral without evidence hash and capture time', () => {
    const envelope = validInternetContentReferralEnvelope();
    delete envelope.internetContentReferral!.evidenceSha256;
    delete envelope.internetContentReferral!.capturedAt;
    expect(found(envelope)).toEqual([
      { field: 'internetContentReferral.evidenceSha256', rule: 'removalRequiresEvidence' },
      { field: 'internetContentReferral.capturedAt', rule: 'removalRequiresEvidence' },
    ]);
  });

  it('accepts monitoring without captured evidence', () => {
    const envelope = validInternetContentReferralEnvelope();
    envelope.internetContentReferral!.requestedAction = 'REFERRAL_ACTION_MONITOR';
    delete envelope.internetContentReferral!.evidenceSha256;
    delete envelope.internetContentReferral!.capturedAt;
    expect(found(envelope)).toEqual([]);
  });
});

describe('withheldNamesRule', () => {
  it('refuses a withheld decision that does not name its rule', () => {
    const envelope = validDeliveryReceiptEnvelope();
    delete envelope.deliveryReceipt!.decisions![2].rule;
    expect(found(envelope)).toEqual([
      { field: 'deliveryReceipt.decisions[2].rule', rule: 'withheldNamesRule' },
    ]);
  });
});

describe('notAfterCreation', () => {
  it('refuses a detection reported before it happened', () => {
    const envelope = validDocumentFraudReportEnvelope();
    envelope.documentFraudReport!.detectedAt = '2025-06-09T16:26:00Z';
    expect(found(envelope)).toEqual([{ field: 'documentFraudReport.detectedAt', rule: 'notAfterCreation' }]);
  });

  it('refuses a payment dated after the lead', () => {
    const envelope = validFinancialLeadEnvelope();
    envelope.financialLead!.payments![1].executedAt = '2025-07-01T00:00:00Z';
    expect(found(envelope)).toEqual([
      { field: 'financialLead.payments[1].executedAt', rule: 'notAfterCreation' },
    ]);
  });

  it('tolerates the clock skew', () => {
    const envelope = validDocumentFraudReportEnvelope();
    envelope.documentFraudReport!.detectedAt = '2025-06-09T16:25:00Z';
    expect(found(envelope)).toEqual([]);
  });
});
