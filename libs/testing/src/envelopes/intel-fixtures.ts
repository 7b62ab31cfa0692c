/**
 * Valid envelopes in protobuf JSON, one factory per intelligence payload, with realistic data from the
 * central Mediterranean and Western Balkans routes. Each call returns a fresh object that tests may
 * change; `overrides` replaces top-level envelope fields. Ids are UUIDv7 whose time is createdAt.
 *
 * The sender is `emlo-ne` (the European migration liaison officer in Niger) throughout. DESIGN §2 lets
 * liaison officers publish routes, modus operandi, debriefings, document fraud and internet content;
 * tests of sharing rules should override `sender`/`author` for financial leads and vessel reports.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import type { EnvelopeJson } from '#contracts';

/** The sending node and officer of the fixtures. */
export const FIXTURE_SENDER = 'emlo-ne';
export const FIXTURE_AUTHOR = 'emlo-ne.officer-17';

/** Ids of the intelligence fixtures, for control messages that refer to them. */
export const FIXTURE_IDS = {
  routeReport: '01976342-9f40-7d42-9f0a-64fa368f37ee',
  modusOperandiReport: '01975a28-9ae0-77d3-82d9-49f54d7d46ae',
  financialLead: '01975e45-7620-70d0-b6c5-e1fab73140ab',
  suspectVesselReport: '019763f0-9280-7db9-b0ec-0110056594ed',
  documentFraudReport: '0197557d-d780-7204-823a-1224ac769f5c',
  internetContentReferral: '01976848-f020-7f6d-9a9e-616825868e5f',
  debriefingReport: '01976dea-e4c0-7482-ac94-8ad4bea1ac8f',
} as const;

/** The fields every fixture shares: a first message of its thread, H1, AMBER, EU only, 5-year retention. */
export function fixtureEnvelope(id: string, createdAt: string): EnvelopeJson {
  const expiresAt = `${Number(createdAt.slice(0, 4)) + 5}${createdAt.slice(4)}`;
  return {
    id,
    threadId: id,
    sender: FIXTURE_SENDER,
    author: FIXTURE_AUTHOR,
    createdAt,
    recipients: ['cp-it', 'jot-mare'],
    route: 'SMUGGLING_ROUTE_CENTRAL_MEDITERRANEAN',
    handlingCode: 'HANDLING_CODE_H1',
    tlp: 'TLP_AMBER',
    evaluation: { sourceReliability: 'SOURCE_RELIABILITY_B', informationAccuracy: 'INFORMATION_ACCURACY_2' },
    releasability: { scope: 'RELEASABILITY_SCOPE_EU_ONLY' },
    purpose: 'Prevention and combating of migrant smuggling (COM(2015) 285)',
    expiresAt,
  };
}

/** A route report: Agadez – Sabha – Zuwara – Lampedusa, releasable to Niger. */
export function validRouteReportEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...fixtureEnvelope(FIXTURE_IDS.routeReport, '2025-06-12T08:30:00Z'),
    releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES', thirdCountries: ['NE'] },
    routeReport: {
      segments: [
        {
          fromCountry: 'NE',
          fromPlace: 'Agadez',
          toCountry: 'LY',
          toPlace: 'Sabha',
          mode: 'TRANSPORT_MODE_LAND',
          conveyance: 'pick-up trucks in convoys of 10 to 15',
        },
        {
          fromCountry: 'LY',
          fromPlace: 'Sabha',
          toCountry: 'LY',
          toPlace: 'Zuwara',
          mode: 'TRANSPORT_MODE_LAND',
          conveyance: 'lorry with hidden compartment',
        },
        {
          fromCountry: 'LY',
          fromPlace: 'Zuwara',
          toCountry: 'IT',
          toPlace: 'Lampedusa',
          mode: 'TRANSPORT_MODE_SEA',
          conveyance: 'inflatable rubber boat',
        },
      ],
      departureArea: 'Zuwara coast',
      departureCountry: 'LY',
      period: { start: '2025-05-01T00:00:00Z', end: '2025-05-31T23:59:59Z' },
      peopleCarried: 85,
      pricePerPerson: { amount: '3000.00', currency: 'USD' },
      nationalities: ['ER', 'SD', 'ML', 'NG', 'BD'],
      narrative:
        'Weekly departures from the Zuwara coast since early May. Migrants are held in warehouses near ' +
        'Sabha until the full price is paid by relatives; boats leave at night with a migrant at the helm.',
    },
    ...overrides,
  };
}

/** A modus operandi report: refrigerated lorries on the Western Balkans route. */
export function validModusOperandiReportEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...fixtureEnvelope(FIXTURE_IDS.modusOperandiReport, '2025-06-10T14:05:00Z'),
    recipients: ['cp-hu', 'cp-at', 'frontex-ra'],
    route: 'SMUGGLING_ROUTE_WESTERN_BALKANS',
    handlingCode: 'HANDLING_CODE_H0',
    tlp: 'TLP_GREEN',
    evaluation: { sourceReliability: 'SOURCE_RELIABILITY_A', informationAccuracy: 'INFORMATION_ACCURACY_2' },
    modusOperandiReport: {
      category: 'MODUS_OPERANDI_CATEGORY_CONCEALMENT_IN_VEHICLES',
      title: 'Migrants hidden in refrigerated lorries at Subotica',
      indicators: [
        'refrigeration unit running with an almost empty load',
        'CO2 level in the cargo space above 2 %',
        'seal number on the CMR differs from the seal on the doors',
      ],
      narrative:
        'Lorries loaded with fruit in North Macedonia stop at parking lots near Subotica, where groups of ' +
        '20 to 30 migrants are loaded behind pallets before the Röszke crossing.',
      countries: ['MK', 'RS', 'HU', 'AT'],
      firstObservedAt: '2025-03-15T00:00:00Z',
    },
    ...overrides,
  };
}

/** A financial lead: two accounts collecting and forwarding payments, with asset recovery requested. */
export function validFinancialLeadEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...fixtureEnvelope(FIXTURE_IDS.financialLead, '2025-06-11T09:15:00Z'),
    recipients: ['cp-it', 'cp-mt', 'jot-mare'],
    handlingCode: 'HANDLING_CODE_H2',
    evaluation: { sourceReliability: 'SOURCE_RELIABILITY_B', informationAccuracy: 'INFORMATION_ACCURACY_3' },
    containsPersonalData: true,
    purpose: 'Financial investigation of a smuggling network: tracing and freezing of its proceeds',
    financialLead: {
      channel: 'FINANCIAL_CHANNEL_BANK',
      accounts: [
        {
          iban: 'IT60X0542811101000000123456',
          bic: 'UNCRITMM',
          role: "collects payments from migrants' relatives in Italy",
        },
        { iban: 'MT84MALT011000012345MTLCAST001S', bic: 'MALTMTMT', role: 'forwards collected funds abroad' },
      ],
      payments: [
        {
          amount: { amount: '9000.00', currency: 'EUR' },
          executedAt: '2025-05-20T10:12:00Z',
          originCountry: 'IT',
          destinationCountry: 'MT',
          reference: 'TRF-2025-05-20-0042',
        },
        {
          amount: { amount: '15500.00', currency: 'EUR' },
          executedAt: '2025-05-27T15:40:00Z',
          originCountry: 'MT',
          destinationCountry: 'TR',
          reference: 'TRF-2025-05-27-0117',
        },
      ],
      estimatedTotal: { amount: '180000.00', currency: 'EUR' },
      fiuReference: 'UIF-2025-04417',
      assetRecoveryRequested: true,
      narrative: 'Relatives in Italy pay 3000 EUR per crossing into the first account; funds leave weekly.',
    },
    ...overrides,
  };
}

/** A suspect vessel report: a cargo ship due for scrapping, last seen in the Ionian Sea. */
export function validSuspectVesselReportEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...fixtureEnvelope(FIXTURE_IDS.suspectVesselReport, '2025-06-12T11:40:00Z'),
    recipients: ['jot-mare', 'cp-it', 'cp-gr'],
    suspectVesselReport: {
      imoNumber: '9074729',
      mmsi: '620999123',
      name: 'NOUR AL HUDA',
      flag: 'KM',
      type: 'VESSEL_TYPE_CARGO',
      status: 'VESSEL_STATUS_SCHEDULED_FOR_SCRAPPING',
      riskIndicators: [
        'bought at scrapping price',
        'AIS switched off south of Crete',
        'crew recruited in Mersin',
      ],
      lastPosition: {
        point: { latitude: 36.412, longitude: 18.237 },
        observedAt: '2025-06-12T06:05:00Z',
        source: 'POSITION_SOURCE_EUROSUR',
      },
      narrative:
        'Sold in April to a company registered a week earlier; 40 t of fuel and water taken on at night.',
    },
    ...overrides,
  };
}

/** A document fraud report: look-alike Italian identity cards at Bari port. */
export function validDocumentFraudReportEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...fixtureEnvelope(FIXTURE_IDS.documentFraudReport, '2025-06-09T16:20:00Z'),
    recipients: ['cp-it', 'frontex-ra'],
    route: 'SMUGGLING_ROUTE_WESTERN_BALKANS',
    handlingCode: 'HANDLING_CODE_H0',
    tlp: 'TLP_GREEN',
    evaluation: { sourceReliability: 'SOURCE_RELIABILITY_A', informationAccuracy: 'INFORMATION_ACCURACY_1' },
    documentFraudReport: {
      documentType: 'DOCUMENT_TYPE_IDENTITY_CARD',
      issuingCountry: 'IT',
      fraudType: 'DOCUMENT_FRAUD_TYPE_LOOK_ALIKE',
      detectionPlace: 'Bari port, passenger terminal',
      detectionCountry: 'IT',
      detectedAt: '2025-06-08T21:30:00Z',
      features: [
        'genuine card, holder resembles the photograph only superficially',
        'holder does not speak Italian',
      ],
      quantity: 3,
    },
    ...overrides,
  };
}

/** An internet content referral: a crossing advertisement in Arabic, referred for removal. */
export function validInternetContentReferralEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...fixtureEnvelope(FIXTURE_IDS.internetContentReferral, '2025-06-13T07:55:00Z'),
    recipients: ['europol-iru'],
    internetContentReferral: {
      url: 'https://www.facebook.com/groups/801234567890123/posts/912345678901234/',
      platform: 'Facebook',
      language: 'ar',
      kind: 'INTERNET_CONTENT_KIND_CROSSING_ADVERTISEMENT',
      evidenceSha256: '35a386984732fb6bd3e3918e34f1450fc6230ed43f3590a55caf37da1e85af97',
      capturedAt: '2025-06-13T07:20:00Z',
      requestedAction: 'REFERRAL_ACTION_REFER_FOR_REMOVAL',
      status: 'REFERRAL_STATUS_NEW',
    },
    ...overrides,
  };
}

/** A debriefing report from Lampedusa: route, price, facilitators and selectors, no migrant's name. */
export function validDebriefingReportEnvelope(overrides: Partial<EnvelopeJson> = {}): EnvelopeJson {
  return {
    ...fixtureEnvelope(FIXTURE_IDS.debriefingReport, '2025-06-14T10:10:00Z'),
    handlingCode: 'HANDLING_CODE_H2',
    evaluation: { sourceReliability: 'SOURCE_RELIABILITY_X', informationAccuracy: 'INFORMATION_ACCURACY_2' },
    containsPersonalData: true,
    purpose: 'Identification of the facilitators of a smuggling network on the central Mediterranean route',
    debriefingReport: {
      hotspot: 'Lampedusa',
      hotspotCountry: 'IT',
      debriefedAt: '2025-06-13T15:00:00Z',
      routeTaken: [
        {
          fromCountry: 'SD',
          fromPlace: 'Khartoum',
          toCountry: 'LY',
          toPlace: 'Kufra',
          mode: 'TRANSPORT_MODE_LAND',
          conveyance: 'pick-up truck',
        },
        {
          fromCountry: 'LY',
          fromPlace: 'Kufra',
          toCountry: 'LY',
          toPlace: 'Sabratha',
          mode: 'TRANSPORT_MODE_LAND',
        },
        {
          fromCountry: 'LY',
          fromPlace: 'Sabratha',
          toCountry: 'IT',
          toPlace: 'Lampedusa',
          mode: 'TRANSPORT_MODE_SEA',
          conveyance: 'wooden fishing boat',
        },
      ],
      pricePaid: { amount: '4200.00', currency: 'USD' },
      facilitators: [
        {
          role: 'boat driver',
          nationality: 'LY',
          description: 'called "Abu Salah", about 40, scar on the left cheek',
        },
        {
          role: 'safe-house keeper',
          nationality: 'SD',
          description: 'runs a warehouse near the beach of Sabratha',
        },
      ],
      selectors: { phoneNumbers: ['+218912345678'], vesselNames: ['AL FAJR'] },
      nationality: 'SD',
      narrative: 'Paid in two instalments through a hawala agent in Khartoum; held six weeks in Sabratha.',
    },
    ...overrides,
  };
}

/** A deep copy as a protobuf-JSON value, for `fromJson`, `JSON.stringify` or HTTP bodies. */
export function asJson(envelope: EnvelopeJson): JsonObject {
  return JSON.parse(JSON.stringify(envelope)) as JsonObject;
}
