import { describe, expect, it } from '@jest/globals';
import { validateEnvelopeJson, type EnvelopeJson, type RouteSegmentDto } from './index.js';
import { found, VALIDATION_NOW as NOW } from './violations-fixture.js';
import {
  asJson,
  validAcknowledgementEnvelope,
  validAnalysisProductEnvelope,
  validCrossCheckRequestEnvelope,
  validDebriefingReportEnvelope,
  validDeliveryReceiptEnvelope,
  validDocumentFraudReportEnvelope,
  validErasureReceiptEnvelope,
  validFinancialLeadEnvelope,
  validHitNoticeEnvelope,
  validInternetContentReferralEnvelope,
  validModusOperandiReportEnvelope,
  validRouteReportEnvelope,
  validShareDecisionEnvelope,
  validSuspectVesselReportEnvelope,
  validVesselAlertEnvelope,
} from '#testing';

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
    ['SELECTOR_KIND_PHONE_NUMBER', '00218912345678', 'an E.164 phone number'],
    ['SELECTOR_KIND_IBAN', 'DE89370400440532013001', 'an IBAN whose mod-97 check holds'],
    ['SELECTOR_KIND_IMO_NUMBER', '9074728', 'an IMO number whose check digit matches'],
    ['SELECTOR_KIND_MMSI', '970123456', 'the MMSI of a ship station'],
    ['SELECTOR_KIND_URL', 'ftp://example.org/', 'an http or https URL'],
    ['SELECTOR_KIND_DOCUMENT_NUMBER', 'YA 1234567', 'a document number'],
  ])('refuses a %s selector with value %j, saying what its kind demands', (kind, value, expectation) => {
    const envelope = validCrossCheckRequestEnvelope();
    envelope.crossCheckRequest!.selectors[1] = { kind, value };
    expect(found(envelope)).toEqual([
      { field: 'crossCheckRequest.selectors[1].value', rule: 'selectorValueMatchesKind' },
    ]);
    expect(validateEnvelopeJson(asJson(envelope), { now: NOW })[0]?.message).toBe(
      `crossCheckRequest.selectors[1].value must be ${expectation} for its kind`,
    );
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

  it('takes holders one per matching item, and refuses a list that does not line up', () => {
    const lined = validHitNoticeEnvelope();
    lined.hitNotice!.holders = ['cp-gr'];
    expect(found(lined)).toEqual([]);
    const short = validHitNoticeEnvelope();
    short.hitNotice!.matchingMessageIds = [
      '01971655-a100-72f9-a2a5-2a617a7d0670',
      '01971655-a100-72f9-a2a5-2a617a7d0671',
    ];
    short.hitNotice!.holders = ['cp-gr'];
    expect(found(short)).toEqual([{ field: 'hitNotice.holders', rule: 'holderPerMatch' }]);
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

  it('keeps each indicator of a modus operandi to one line', () => {
    const envelope = validModusOperandiReportEnvelope();
    envelope.modusOperandiReport!.indicators = ['fuel bought in bulk', 'engine\nspare parts'];
    expect(found(envelope)).toEqual([
      { field: 'modusOperandiReport.indicators[1]', rule: 'noControlCharacters' },
    ]);
  });

  it('aggregatedIsNonPersonal: accepts an aggregated product without personal data', () => {
    const envelope = validAnalysisProductEnvelope({ containsPersonalData: false });
    envelope.analysisProduct!.kind = 'ANALYSIS_PRODUCT_KIND_RISK_ANALYSIS';
    envelope.analysisProduct!.aggregated = true;
    expect(found(envelope)).toEqual([]);
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

describe('notAfterCreation: no reported event postdates its report', () => {
  /** Weeks after every fixture was created, days before NOW. */
  const LATE = '2025-06-30T00:00:00Z';

  it.each<[string, () => EnvelopeJson]>([
    [
      'routeReport.period.start',
      () => {
        const envelope = validRouteReportEnvelope();
        envelope.routeReport!.period = { start: LATE };
        return envelope;
      },
    ],
    [
      'routeReport.period.end',
      () => {
        const envelope = validRouteReportEnvelope();
        envelope.routeReport!.period = { start: '2025-05-01T00:00:00Z', end: LATE };
        return envelope;
      },
    ],
    [
      'modusOperandiReport.firstObservedAt',
      () => {
        const envelope = validModusOperandiReportEnvelope();
        envelope.modusOperandiReport!.firstObservedAt = LATE;
        return envelope;
      },
    ],
    [
      'suspectVesselReport.lastPosition.observedAt',
      () => {
        const envelope = validSuspectVesselReportEnvelope();
        envelope.suspectVesselReport!.lastPosition!.observedAt = LATE;
        return envelope;
      },
    ],
    [
      'internetContentReferral.capturedAt',
      () => {
        const envelope = validInternetContentReferralEnvelope();
        envelope.internetContentReferral!.capturedAt = LATE;
        return envelope;
      },
    ],
    [
      'debriefingReport.debriefedAt',
      () => {
        const envelope = validDebriefingReportEnvelope();
        envelope.debriefingReport!.debriefedAt = LATE;
        return envelope;
      },
    ],
    [
      'acknowledgement.receivedAt',
      () => {
        const envelope = validAcknowledgementEnvelope();
        envelope.acknowledgement!.receivedAt = LATE;
        return envelope;
      },
    ],
    [
      'erasureReceipt.erasedAt',
      () => {
        const envelope = validErasureReceiptEnvelope();
        envelope.erasureReceipt!.erasedAt = LATE;
        return envelope;
      },
    ],
  ])('refuses %s later than the report', (field, envelope) => {
    expect(found(envelope())).toEqual([{ field, rule: 'notAfterCreation' }]);
  });
});

describe('shareDecisionCoherent: consent outlives its grant', () => {
  it('refuses consent that ends at the very instant it is given', () => {
    const envelope = validShareDecisionEnvelope();
    envelope.shareDecision!.validUntil = envelope.createdAt;
    expect(found(envelope)).toEqual([{ field: 'shareDecision.validUntil', rule: 'shareDecisionCoherent' }]);
  });

  it('accepts consent that ends one second after it is given', () => {
    const envelope = validShareDecisionEnvelope();
    envelope.shareDecision!.validUntil = '2025-06-12T10:30:01Z';
    expect(found(envelope)).toEqual([]);
  });
});

describe('vesselIdentified: any one identifier is enough', () => {
  it.each([
    ['imoNumber', '9074729'],
    ['mmsi', '620999123'],
    ['name', 'NOUR AL HUDA'],
  ])('accepts a suspect vessel known by %s only', (identifier, value) => {
    const envelope = validSuspectVesselReportEnvelope();
    envelope.suspectVesselReport = { [identifier]: value, type: 'VESSEL_TYPE_CARGO' };
    expect(found(envelope)).toEqual([]);
  });

  it.each([
    ['imoNumber', '9074729'],
    ['mmsi', '620999123'],
    ['vesselName', 'NOUR AL HUDA'],
  ])('accepts a vessel alert known by %s only', (identifier, value) => {
    const envelope = validVesselAlertEnvelope();
    envelope.vesselAlert = {
      [identifier]: value,
      level: 'ALERT_LEVEL_HIGH',
      reason: 'Heading west with AIS off',
    };
    expect(found(envelope)).toEqual([]);
  });
});

describe('financialLeadSubstance: any one lead is enough', () => {
  it.each<[string, Partial<NonNullable<EnvelopeJson['financialLead']>>, boolean]>([
    ['accounts', { accounts: [{ iban: 'IT60X0542811101000000123456' }] }, true],
    ['payments', { payments: [{ amount: { amount: '9000.00', currency: 'EUR' } }] }, false],
    ['estimatedTotal', { estimatedTotal: { amount: '180000.00', currency: 'EUR' } }, false],
  ])('accepts a lead that gives %s only', (_what, lead, personal) => {
    const envelope = validFinancialLeadEnvelope({ containsPersonalData: personal });
    envelope.financialLead = { channel: 'FINANCIAL_CHANNEL_BANK', ...lead };
    expect(found(envelope)).toEqual([]);
  });
});

describe('modusOperandiDescribed: a narrative is enough', () => {
  it('accepts a narrative without indicators', () => {
    const envelope = validModusOperandiReportEnvelope();
    delete envelope.modusOperandiReport!.indicators;
    expect(found(envelope)).toEqual([]);
  });
});

describe('removalRequiresEvidence: each piece of evidence on its own', () => {
  it.each([['evidenceSha256'], ['capturedAt']] as const)('refuses a removal referral without %s', (field) => {
    const envelope = validInternetContentReferralEnvelope();
    delete envelope.internetContentReferral![field];
    expect(found(envelope)).toEqual([
      { field: `internetContentReferral.${field}`, rule: 'removalRequiresEvidence' },
    ]);
  });

  it('reports a malformed evidence hash at the hash', () => {
    const envelope = validInternetContentReferralEnvelope();
    envelope.internetContentReferral!.evidenceSha256 = 'not-a-digest';
    expect(found(envelope)).toEqual([{ field: 'internetContentReferral.evidenceSha256', rule: 'sha256Hex' }]);
  });
});

describe('periodOrdered leaves malformed times to rfc3339', () => {
  it('reports an unreadable end only as rfc3339', () => {
    const envelope = validRouteReportEnvelope();
    envelope.routeReport!.period = { start: '2025-05-01T00:00:00Z', end: '31/05/2025' };
    expect(found(envelope)).toEqual([{ field: 'routeReport.period.end', rule: 'rfc3339' }]);
  });

  it('reports an unreadable start only as rfc3339', () => {
    const envelope = validRouteReportEnvelope();
    envelope.routeReport!.period = { start: '01/05/2025', end: '2025-05-31T00:00:00Z' };
    expect(found(envelope)).toEqual([{ field: 'routeReport.period.start', rule: 'rfc3339' }]);
  });
});

describe('lists of message ids', () => {
  it('checks each source of an analysis product', () => {
    const envelope = validAnalysisProductEnvelope();
    envelope.analysisProduct!.sourceMessageIds = ['01976342-9f40-7d42-9f0a-64fa368f37ee', 'route-report-1'];
    expect(found(envelope)).toEqual([{ field: 'analysisProduct.sourceMessageIds[1]', rule: 'uuid' }]);
    envelope.analysisProduct!.sourceMessageIds = ['01976342-9f40-7d42-9f0a-64fa368f37ee'];
    expect(found(envelope)).toEqual([]);
  });
});

describe('single-line and multi-line text', () => {
  it('refuses a line break in a title and accepts one in a narrative', () => {
    const envelope = validModusOperandiReportEnvelope();
    envelope.modusOperandiReport!.narrative = 'First seen at Subotica.\nThen at Horgoš.';
    expect(found(envelope)).toEqual([]);
    envelope.modusOperandiReport!.title = 'Refrigerated lorries\nat Subotica';
    expect(found(envelope)).toEqual([{ field: 'modusOperandiReport.title', rule: 'noControlCharacters' }]);
  });
});
