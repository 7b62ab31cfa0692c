/**
 * Valid control envelopes in protobuf JSON, one factory per control payload, around the route report
 * of intel-fixtures.ts: its receipt, acknowledgement, onward-sharing consent, recall and erasure, and the
 * vessel alert, statistics and cross-check that JOT MARE and Frontex build. Fresh objects per call.
 */
import type { EnvelopeJson } from '#contracts';
import { FIXTURE_IDS, fixtureEnvelope } from './intel-fixtures.js';

/** Ids of the control fixtures, for messages that refer to them. */
export const CONTROL_FIXTURE_IDS = {
  deliveryReceipt: '01976342-a710-7941-bf94-061fde77db69',
  acknowledgement: '0197635e-1680-7908-9085-ff666030c64c',
  shareRequest: '01976395-0500-7b1d-8926-556d09683e18',
  shareDecision: '019763b0-7c40-7cb5-812b-324547dc690b',
  recall: '01976402-e200-78c8-8627-24fdd974f783',
  erasureReceipt: '0197641e-5940-7f6e-83c1-477d84f0c168',
  vesselAlert: '01976884-7280-711c-89ab-600aa3ac96dd',
  analysisProduct: '019768bb-6100-7ddf-870f-073bd8cb20b7',
  crossCheckRequest: '019768f2-4f80-7941-94f2-4883299b4eed',
  hitNotice: '01976929-3e00-7732-aff9-798111765def',
  blindIndexUpdate: '01976960-2c80-7a11-8c3e-4f1d2b6a9e01',
  blindQuery: '01976997-1b00-7c52-9d4f-5a2e3c7b0f12',
  blindAnswer: '019769ce-0980-7e93-ae50-6b3f4d8c1a23',
  blindQueryNotice: '01976a04-f800-70d4-bf61-7c405e9d2b34',
} as const;

/** Tokens of the blind-matching fixtures: an IBAN and a phone number under the fixture key (32 bytes of 7). */
export const BLIND_FIXTURE = {
  keyId: 'mk-bd47d91f9d303969',
  iban: { kind: 'SELECTOR_KIND_IBAN', token: 'wen3f8d4dv_vS52CCmQhTDaSMhKNGyoEBm1EKrCNhus' },
  phone: { kind: 'SELECTOR_KIND_PHONE_NUMBER', token: '06yDWKMTT5u3xBf5MFDUU_SZiMETNUBJNgqBcCGaLyc' },
} as const;

/** A control envelope: no evaluation, no route unless given, replying within the route report's thread. */
function controlEnvelope(
  id: string,
  createdAt: string,
  sender: string,
  author: string,
  recipients: string[],
): EnvelopeJson {
  const { evaluation: _evaluation, route: _route, ...common } = fixtureEnvelope(id, createdAt);
  return {
    ...common,
    threadId: FIXTURE_IDS.routeReport,
    inReplyTo: FIXTURE_IDS.routeReport,
    sender,
    author,
    recipients,
  };
}

/** The router's receipt to emlo-ne for the route report: two deliveries, one withheld. */
export function validDeliveryReceiptEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(CONTROL_FIXTURE_IDS.deliveryReceipt, '2025-06-12T08:30:02Z', 'msx-router', 'router', [
      'emlo-ne',
    ]),
    deliveryReceipt: {
      messageId: FIXTURE_IDS.routeReport,
      decisions: [
        { recipient: 'cp-it', outcome: 'DECISION_OUTCOME_DELIVERED' },
        { recipient: 'jot-mare', outcome: 'DECISION_OUTCOME_DELIVERED' },
        {
          recipient: 'afic-partner-sn',
          outcome: 'DECISION_OUTCOME_WITHHELD',
          rule: 'POLICY.NOT_RELEASABLE_TO_COUNTRY',
          reason: 'releasable to NE only',
        },
      ],
    },
    ...overrides,
  };
}

/** cp-it acknowledges the route report. */
export function validAcknowledgementEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(
      CONTROL_FIXTURE_IDS.acknowledgement,
      '2025-06-12T09:00:00Z',
      'cp-it',
      'cp-it.duty-officer-2',
      ['emlo-ne'],
    ),
    acknowledgement: { messageId: FIXTURE_IDS.routeReport, receivedAt: '2025-06-12T08:30:05Z' },
    ...overrides,
  };
}

/** cp-it asks emlo-ne for consent to pass the route report to Malta and Greece. */
export function validShareRequestEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(CONTROL_FIXTURE_IDS.shareRequest, '2025-06-12T10:00:00Z', 'cp-it', 'cp-it.analyst-5', [
      'emlo-ne',
    ]),
    shareRequest: {
      messageId: FIXTURE_IDS.routeReport,
      proposedRecipients: ['cp-mt', 'cp-gr'],
      justification: 'Boats from Zuwara were intercepted in the Maltese and Greek search and rescue regions.',
    },
    ...overrides,
  };
}

/** emlo-ne grants consent for Malta only, until the end of the year. */
export function validShareDecisionEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(
      CONTROL_FIXTURE_IDS.shareDecision,
      '2025-06-12T10:30:00Z',
      'emlo-ne',
      'emlo-ne.officer-17',
      ['cp-it'],
    ),
    inReplyTo: CONTROL_FIXTURE_IDS.shareRequest,
    shareDecision: {
      requestId: CONTROL_FIXTURE_IDS.shareRequest,
      messageId: FIXTURE_IDS.routeReport,
      granted: true,
      reason: 'Malta is affected by the same departures; Greece is not.',
      grantedRecipients: ['cp-mt'],
      validUntil: '2025-12-31T23:59:59Z',
    },
    ...overrides,
  };
}

/** emlo-ne recalls the route report as inaccurate. */
export function validRecallEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(CONTROL_FIXTURE_IDS.recall, '2025-06-12T12:00:00Z', 'emlo-ne', 'emlo-ne.officer-17', [
      'cp-it',
      'jot-mare',
    ]),
    recall: {
      messageId: FIXTURE_IDS.routeReport,
      reason: 'RECALL_REASON_INACCURATE',
      explanation: 'The departure area was Sabratha, not Zuwara; a corrected report follows.',
    },
    ...overrides,
  };
}

/** cp-it confirms it erased the recalled route report. */
export function validErasureReceiptEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(
      CONTROL_FIXTURE_IDS.erasureReceipt,
      '2025-06-12T12:30:00Z',
      'cp-it',
      'cp-it.duty-officer-2',
      ['emlo-ne'],
    ),
    inReplyTo: CONTROL_FIXTURE_IDS.recall,
    erasureReceipt: {
      messageId: FIXTURE_IDS.routeReport,
      recallId: CONTROL_FIXTURE_IDS.recall,
      erasedAt: '2025-06-12T12:25:00Z',
      erased: ['copy', 'vessel-watch-list:imo:9074729'],
    },
    ...overrides,
  };
}

/** JOT MARE's alert on the suspect vessel. */
export function validVesselAlertEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(
      CONTROL_FIXTURE_IDS.vesselAlert,
      '2025-06-13T09:00:00Z',
      'jot-mare',
      'jot-mare.analyst-4',
      ['cp-it', 'cp-gr', 'cp-mt'],
    ),
    threadId: FIXTURE_IDS.suspectVesselReport,
    inReplyTo: FIXTURE_IDS.suspectVesselReport,
    route: 'SMUGGLING_ROUTE_CENTRAL_MEDITERRANEAN',
    vesselAlert: {
      imoNumber: '9074729',
      mmsi: '620999123',
      vesselName: 'NOUR AL HUDA',
      level: 'ALERT_LEVEL_HIGH',
      reason: 'Scheduled for scrapping but heading west with AIS off; matches the pattern of mother ships.',
      relatedMessageIds: [FIXTURE_IDS.suspectVesselReport],
      riskScore: 75,
      criteria: [
        { name: 'decommissioned', points: 30, evidence: 'status SCHEDULED_FOR_SCRAPPING in 1 report' },
        { name: 'near-departure-area', points: 25, evidence: 'last seen 12 km from Zuwara on 2025-06-12' },
        { name: 'flag', points: 20, evidence: 'flag SL, of concern' },
      ],
    },
    ...overrides,
  };
}

/** Frontex risk analysis sends aggregated monthly statistics to Eurostat. */
export function validAnalysisProductEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  const {
    threadId: _thread,
    inReplyTo: _reply,
    ...common
  } = controlEnvelope(
    CONTROL_FIXTURE_IDS.analysisProduct,
    '2025-06-13T10:00:00Z',
    'frontex-ra',
    'frontex-ra.analyst-9',
    ['eurostat'],
  );
  return {
    ...common,
    handlingCode: 'HANDLING_CODE_H0',
    tlp: 'TLP_GREEN',
    purpose: 'Statistics on migrant smuggling (COM(2015) 285, section 4)',
    analysisProduct: {
      kind: 'ANALYSIS_PRODUCT_KIND_STATISTICS',
      title: 'Detections on the central Mediterranean route, May 2025',
      summary: 'Detections by departure country and nationality, aggregated per week.',
      aggregated: true,
      documentSha256: '285f61502b3b3bd6cde91963a3e99f0ab4c9d222f946363a9d84dfda40a2f0e2',
    },
    ...overrides,
  };
}

/** JOT MARE asks contact points to check a phone number and a vessel against their holdings. */
export function validCrossCheckRequestEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(
      CONTROL_FIXTURE_IDS.crossCheckRequest,
      '2025-06-13T11:00:00Z',
      'jot-mare',
      'jot-mare.analyst-4',
      ['cp-it', 'cp-mt', 'cp-gr'],
    ),
    threadId: FIXTURE_IDS.debriefingReport,
    inReplyTo: FIXTURE_IDS.debriefingReport,
    containsPersonalData: true,
    purpose: 'Identification of the facilitators of a smuggling network on the central Mediterranean route',
    crossCheckRequest: {
      selectors: [
        { kind: 'SELECTOR_KIND_PHONE_NUMBER', value: '+218912345678' },
        { kind: 'SELECTOR_KIND_IMO_NUMBER', value: '9074729' },
      ],
      purpose: 'Link the boat driver described at Lampedusa to earlier departures.',
    },
    ...overrides,
  };
}

/** cp-mt reports that the phone number matched one of its items. */
export function validHitNoticeEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(CONTROL_FIXTURE_IDS.hitNotice, '2025-06-13T12:00:00Z', 'cp-mt', 'cp-mt.analyst-1', [
      'jot-mare',
    ]),
    threadId: FIXTURE_IDS.debriefingReport,
    inReplyTo: CONTROL_FIXTURE_IDS.crossCheckRequest,
    containsPersonalData: true,
    purpose: 'Identification of the facilitators of a smuggling network on the central Mediterranean route',
    hitNotice: {
      requestId: CONTROL_FIXTURE_IDS.crossCheckRequest,
      selector: { kind: 'SELECTOR_KIND_PHONE_NUMBER', value: '+218912345678' },
      matchingMessageIds: ['01971655-a100-72f9-a2a5-2a617a7d0670'],
    },
    ...overrides,
  };
}

/** cp-mt tells the matching service the tokens of the selectors it now holds. */
export function validBlindIndexUpdateEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(CONTROL_FIXTURE_IDS.blindIndexUpdate, '2025-06-13T12:30:00Z', 'cp-mt', 'cp-mt.inbox', [
      'hit-no-hit',
    ]),
    namedRecipientsOnly: true,
    blindIndexUpdate: {
      keyId: BLIND_FIXTURE.keyId,
      added: [{ ...BLIND_FIXTURE.iban }, { ...BLIND_FIXTURE.phone }],
    },
    ...overrides,
  };
}

/** cp-it asks the matching service whether another party holds an IBAN, without naming it. */
export function validBlindQueryEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(CONTROL_FIXTURE_IDS.blindQuery, '2025-06-13T13:00:00Z', 'cp-it', 'cp-it.analyst-2', [
      'hit-no-hit',
    ]),
    namedRecipientsOnly: true,
    blindQuery: {
      keyId: BLIND_FIXTURE.keyId,
      tokens: [{ ...BLIND_FIXTURE.iban }],
      purpose: 'Financial investigation into a smuggling network on the central Mediterranean route',
    },
    ...overrides,
  };
}

/** The matching service tells cp-it that cp-mt holds the IBAN. */
export function validBlindAnswerEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(
      CONTROL_FIXTURE_IDS.blindAnswer,
      '2025-06-13T13:00:01Z',
      'hit-no-hit',
      'hit-no-hit.inbox',
      ['cp-it'],
    ),
    inReplyTo: CONTROL_FIXTURE_IDS.blindQuery,
    namedRecipientsOnly: true,
    blindAnswer: {
      queryId: CONTROL_FIXTURE_IDS.blindQuery,
      verdicts: [{ token: { ...BLIND_FIXTURE.iban }, hit: true, holders: ['cp-mt'] }],
    },
    ...overrides,
  };
}

/** The matching service tells cp-mt that cp-it asked about its IBAN, and why. */
export function validBlindQueryNoticeEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...controlEnvelope(
      CONTROL_FIXTURE_IDS.blindQueryNotice,
      '2025-06-13T13:00:01Z',
      'hit-no-hit',
      'hit-no-hit.inbox',
      ['cp-mt'],
    ),
    inReplyTo: CONTROL_FIXTURE_IDS.blindQuery,
    namedRecipientsOnly: true,
    blindQueryNotice: {
      queryId: CONTROL_FIXTURE_IDS.blindQuery,
      askedBy: 'cp-it',
      purpose: 'Financial investigation into a smuggling network on the central Mediterranean route',
      tokens: [{ ...BLIND_FIXTURE.iban }],
    },
    ...overrides,
  };
}
