/**
 * The demo's traffic: real-looking intelligence drawn from the EU Action Plan against migrant smuggling
 * (COM(2015) 285) — route reports on the central Mediterranean with prices per person, a decommissioned
 * cargo ship reported by several parties, a hawala network's payments, a ring of look-alike documents,
 * smugglers' adverts on social media, debriefings at a hotspot — and items the sharing rules withhold.
 *
 * Every envelope is complete (sender included) and valid under `validateEnvelopeJson`; a unit test keeps
 * it so. Ids are fresh UUIDv7 on every call, so the demo can run again against the same exchange.
 * Names, numbers and accounts are invented; IMO numbers and IBANs are in real format with valid check digits.
 */
import { createHash } from 'node:crypto';
import { uuidv7, type EnvelopeJson } from '#contracts';
import {
  validDebriefingReportEnvelope,
  validDocumentFraudReportEnvelope,
  validRouteReportEnvelope,
} from '#testing/envelopes';

/** One item the demo submits through the gateway, on behalf of `envelope.sender`. */
export interface DemoItem {
  /** The part of the story it belongs to. */
  scene: string;
  /** One line for the progress output. */
  label: string;
  envelope: EnvelopeJson;
  /** What the sharing rules are expected to do with it, in words; shown as the item is sent. */
  note?: string;
}

const DAY_MS = 86_400_000;
const FIVE_YEARS_MS = 5 * 365 * DAY_MS;

/** The decommissioned cargo ship several parties report: a real-format IMO number (check digit 6). */
export const DEMO_VESSEL_IMO = '7812036';

/** The accounts of the hawala network, in electronic IBAN form with valid mod-97 check digits. */
export const DEMO_IBANS = {
  collectingIt: 'IT33Y0200805351000104488711',
  hawaladarTr: 'TR330006100519786457841326',
  frontCompanyGr: 'GR1601101250000000012300695',
  settlementDe: 'DE89370400440532013000',
} as const;

const evidence = (what: string) => createHash('sha256').update(what).digest('hex');

/** The demo's traffic, timed just before `nowMs` (createdAt must not be in the future). */
export function demoTraffic(nowMs: number = Date.now()): DemoItem[] {
  const items: DemoItem[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  const daysAgo = (d: number) => iso(nowMs - d * DAY_MS);
  let n = 0;
  /** Shared envelope fields: a first message of its thread, H1, AMBER, EU only, 5-year retention. */
  const base = (sender: string, officer: string): EnvelopeJson => {
    const createdMs = nowMs - 60_000 + n++ * 100;
    const id = uuidv7(createdMs);
    return {
      id,
      threadId: id,
      sender,
      author: `${sender}.${officer}`,
      createdAt: iso(createdMs),
      recipients: [],
      route: 'SMUGGLING_ROUTE_CENTRAL_MEDITERRANEAN',
      handlingCode: 'HANDLING_CODE_H1',
      tlp: 'TLP_AMBER',
      evaluation: {
        sourceReliability: 'SOURCE_RELIABILITY_B',
        informationAccuracy: 'INFORMATION_ACCURACY_2',
      },
      releasability: { scope: 'RELEASABILITY_SCOPE_EU_ONLY' },
      purpose: 'Prevention and combating of migrant smuggling (COM(2015) 285)',
      expiresAt: iso(createdMs + FIVE_YEARS_MS),
    };
  };
  const add = (scene: string, label: string, envelope: EnvelopeJson, note?: string) =>
    items.push({ scene, label, envelope, note });

  // 1. Routes on the central Mediterranean, with prices per person.
  const routes = 'Route reports on the central Mediterranean';
  add(
    routes,
    'emlo-ne: Agadez – Sabha – Zuwara – Lampedusa, 3 000 USD per person',
    {
      ...base('emlo-ne', 'officer-17'),
      recipients: ['cp-it', 'jot-mare'],
      // Released to Niger under the AFIC agreement: Niger's AFIC partner may have it, Nigeria's may not.
      releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES', thirdCountries: ['NE'] },
      // The route of the route-report fixture, observed over the last weeks.
      routeReport: {
        ...validRouteReportEnvelope().routeReport!,
        period: { start: daysAgo(40), end: daysAgo(10) },
      },
    },
    'released to Niger: afic-partner-ne receives it, afic-partner-ng does not',
  );
  add(
    routes,
    'emlo-ne: the Agadez convoys and the driver who books places, for Niger too',
    {
      ...base('emlo-ne', 'officer-17'),
      recipients: ['cp-it', 'afic'],
      tlp: 'TLP_GREEN',
      containsPersonalData: true,
      releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES', thirdCountries: ['NE'] },
      routeReport: {
        ...validRouteReportEnvelope().routeReport!,
        period: { start: daysAgo(20), end: daysAgo(2) },
        narrative:
          'The convoys are booked through a driver known as "Bachir", reachable on +227 90 12 34 56.',
      },
    },
    "personal data, and Niger's agreement gives no legal basis: AFIC passes it on to afic-partner-ne without the narrative",
  );
  add(routes, 'ilo-it-ly: Sabratha – Lampedusa by wooden fishing boat, 1 500 EUR per person', {
    ...base('ilo-it-ly', 'officer-03'),
    recipients: ['cp-it', 'cp-mt'],
    routeReport: {
      segments: [
        {
          fromCountry: 'LY',
          fromPlace: 'Sabratha',
          toCountry: 'IT',
          toPlace: 'Lampedusa',
          mode: 'TRANSPORT_MODE_SEA',
          conveyance: 'wooden fishing boat, up to 350 people, many below deck',
        },
      ],
      departureArea: 'beaches west of Sabratha',
      departureCountry: 'LY',
      period: { start: daysAgo(30), end: daysAgo(2) },
      peopleCarried: 350,
      pricePerPerson: { amount: '1500.00', currency: 'EUR' },
      nationalities: ['SY', 'ER', 'SO', 'GM'],
      narrative: 'Places below deck cost less and carry the highest risk of asphyxiation.',
    },
  });
  add(routes, 'cp-it: Mersin – Calabria by decommissioned cargo ship, about 6 900 EUR per person', {
    ...base('cp-it', 'analyst-08'),
    recipients: ['jot-mare', 'cp-gr'],
    evaluation: { sourceReliability: 'SOURCE_RELIABILITY_A', informationAccuracy: 'INFORMATION_ACCURACY_1' },
    routeReport: {
      segments: [
        {
          fromCountry: 'TR',
          fromPlace: 'Mersin',
          toCountry: 'IT',
          toPlace: 'Corigliano Calabro',
          mode: 'TRANSPORT_MODE_SEA',
          conveyance: 'decommissioned livestock carrier, crew left the ship on autopilot',
        },
      ],
      departureArea: 'anchorage off Mersin',
      departureCountry: 'TR',
      period: { start: daysAgo(20), end: daysAgo(19) },
      peopleCarried: 360,
      pricePerPerson: { amount: '6900.00', currency: 'EUR' },
      nationalities: ['SY'],
      narrative:
        'Like the Ezadeen, intercepted by Joint Operation Triton on 1 January 2015: 360 migrants on board, ' +
        'about 2.5 million EUR earned by the smugglers for one voyage.',
    },
  });

  // 2. A decommissioned cargo ship, reported by three parties under the same IMO number.
  const vessel = 'A decommissioned cargo ship reported by several parties';
  const ship = {
    imoNumber: DEMO_VESSEL_IMO,
    name: 'SEA ARIADNE',
    flag: 'MD',
    type: 'VESSEL_TYPE_CARGO',
  } as const;
  add(vessel, `cp-gr: IMO ${DEMO_VESSEL_IMO} sold for scrap, AIS off south of Crete`, {
    ...base('cp-gr', 'analyst-21'),
    recipients: ['jot-mare', 'cp-it'],
    suspectVesselReport: {
      ...ship,
      mmsi: '214181000',
      status: 'VESSEL_STATUS_SCHEDULED_FOR_SCRAPPING',
      riskIndicators: [
        'bought at scrapping price by a company registered a week earlier',
        'AIS switched off south of Crete',
      ],
      lastPosition: {
        point: { latitude: 34.71, longitude: 24.95 },
        observedAt: daysAgo(3),
        source: 'POSITION_SOURCE_PATROL',
      },
    },
  });
  add(vessel, `cp-it: IMO ${DEMO_VESSEL_IMO} seen by Eurosur in the Ionian Sea heading for Calabria`, {
    ...base('cp-it', 'analyst-08'),
    recipients: ['jot-mare', 'cp-gr', 'eunavfor-med'],
    suspectVesselReport: {
      ...ship,
      status: 'VESSEL_STATUS_DECOMMISSIONED',
      riskIndicators: ['40 t of fuel and water taken on at night', 'no cargo declared'],
      lastPosition: {
        point: { latitude: 37.48, longitude: 18.91 },
        observedAt: daysAgo(1),
        source: 'POSITION_SOURCE_EUROSUR',
      },
      narrative: 'Course and speed consistent with arrival off Calabria within 36 hours.',
    },
  });
  add(vessel, `jot-mare: IMO ${DEMO_VESSEL_IMO} on the suspect-vessel list, satellite fix`, {
    ...base('jot-mare', 'analyst-02'),
    recipients: ['cp-it', 'cp-gr', 'cp-mt', 'eunavfor-med', 'frontex-ra'],
    evaluation: { sourceReliability: 'SOURCE_RELIABILITY_A', informationAccuracy: 'INFORMATION_ACCURACY_2' },
    suspectVesselReport: {
      ...ship,
      status: 'VESSEL_STATUS_DECOMMISSIONED',
      riskIndicators: [
        'reported by two contact points',
        'crew recruited in Mersin',
        'previous name removed from the hull',
      ],
      lastPosition: {
        point: { latitude: 38.02, longitude: 17.66 },
        observedAt: daysAgo(0.5),
        source: 'POSITION_SOURCE_SATELLITE',
      },
      narrative:
        'Correlated from the reports of cp-gr and cp-it; added to the monitored list of suspect vessels.',
    },
  });

  // 3. A hawala network's payments, from contact points working with their financial intelligence units.
  const money = "A hawala network's payments";
  add(money, 'cp-it: relatives pay into an Italian account, a hawaladar in Istanbul settles', {
    ...base('cp-it', 'fin-analyst-11'),
    recipients: ['eurojust', 'jot-mare', 'cp-mt'],
    handlingCode: 'HANDLING_CODE_H2',
    containsPersonalData: true,
    purpose: 'Financial investigation of a smuggling network: tracing and freezing of its proceeds',
    financialLead: {
      channel: 'FINANCIAL_CHANNEL_HAWALA',
      accounts: [
        {
          iban: DEMO_IBANS.collectingIt,
          bic: 'BCITITMM',
          role: "collects payments from migrants' relatives in Italy",
        },
        { iban: DEMO_IBANS.hawaladarTr, role: "hawaladar's business account, settles the balance monthly" },
      ],
      payments: [
        {
          amount: { amount: '9000.00', currency: 'EUR' },
          executedAt: daysAgo(25),
          originCountry: 'IT',
          destinationCountry: 'TR',
          reference: 'import of textiles 0412',
        },
        {
          amount: { amount: '14500.00', currency: 'EUR' },
          executedAt: daysAgo(11),
          originCountry: 'IT',
          destinationCountry: 'TR',
          reference: 'import of textiles 0431',
        },
      ],
      estimatedTotal: { amount: '180000.00', currency: 'EUR' },
      fiuReference: 'UIF-2025-04417',
      assetRecoveryRequested: true,
      narrative:
        'Each crossing is paid by relatives in instalments of 3 000 EUR; no money moves with the migrant.',
    },
  });
  add(money, 'cp-gr: a front company in Piraeus feeds the same hawala settlement account', {
    ...base('cp-gr', 'fin-analyst-04'),
    recipients: ['eurojust', 'jot-mare', 'cp-it'],
    handlingCode: 'HANDLING_CODE_H3',
    handlingRestriction:
      'Not to be disclosed to the account holders\u2019 banks before the freezing order is issued',
    containsPersonalData: true,
    purpose: 'Financial investigation of a smuggling network: tracing and freezing of its proceeds',
    financialLead: {
      channel: 'FINANCIAL_CHANNEL_HAWALA',
      accounts: [
        { iban: DEMO_IBANS.frontCompanyGr, role: 'front company (ship chandler) in Piraeus' },
        { iban: DEMO_IBANS.settlementDe, role: 'settlement account of the hawala network in Germany' },
      ],
      payments: [
        {
          amount: { amount: '62000.00', currency: 'EUR' },
          executedAt: daysAgo(9),
          originCountry: 'GR',
          destinationCountry: 'DE',
          reference: 'ship supplies invoice 77/2025',
        },
      ],
      fiuReference: 'HFIU-GR-2025-0193',
      narrative:
        'The same settlement account receives the Italian collections; the ship chandler supplied IMO ' +
        DEMO_VESSEL_IMO +
        '.',
    },
  });

  add(
    money,
    'cp-it: a migrant shows the receipt of his family\u2019s payment into the German settlement account',
    {
      ...base('cp-it', 'debrief-team-2'),
      recipients: ['jot-mare'],
      tlp: 'TLP_GREEN',
      containsPersonalData: true,
      purpose: 'Financial investigation of a smuggling network: tracing and freezing of its proceeds',
      evaluation: {
        sourceReliability: 'SOURCE_RELIABILITY_C',
        informationAccuracy: 'INFORMATION_ACCURACY_3',
      },
      debriefingReport: {
        ...validDebriefingReportEnvelope().debriefingReport!,
        debriefedAt: daysAgo(2),
        selectors: { ibans: [DEMO_IBANS.settlementDe] },
        narrative:
          'His brother paid 3 000 EUR into the account on the receipt; the smugglers released him a week later.',
      },
    },
    'H1 GREEN: the nodes that hold it tell the matching service its IBAN as a token (see the blind query below)',
  );

  // 4. A ring of look-alike documents.
  const documents = 'A ring of look-alike documents';
  add(documents, 'cp-it: three look-alike Italian identity cards at Bari port', {
    ...base('cp-it', 'border-07'),
    recipients: ['frontex-ra'],
    route: 'SMUGGLING_ROUTE_WESTERN_BALKANS',
    handlingCode: 'HANDLING_CODE_H0',
    tlp: 'TLP_GREEN',
    evaluation: { sourceReliability: 'SOURCE_RELIABILITY_A', informationAccuracy: 'INFORMATION_ACCURACY_1' },
    // The look-alike cards of the document-fraud fixture, detected six days ago.
    documentFraudReport: {
      ...validDocumentFraudReportEnvelope().documentFraudReport!,
      detectedAt: daysAgo(6),
    },
  });
  add(
    documents,
    'cp-gr: five look-alike Swedish passports at Athens airport, an ongoing investigation (H2)',
    {
      ...base('cp-gr', 'border-12'),
      recipients: ['cp-se', 'frontex-ra'],
      route: 'SMUGGLING_ROUTE_EASTERN_MEDITERRANEAN',
      handlingCode: 'HANDLING_CODE_H2',
      documentFraudReport: {
        documentType: 'DOCUMENT_TYPE_PASSPORT',
        issuingCountry: 'SE',
        fraudType: 'DOCUMENT_FRAUD_TYPE_LOOK_ALIKE',
        detectionPlace: 'Athens International Airport, departures to Stockholm',
        detectionCountry: 'GR',
        detectedAt: daysAgo(4),
        features: [
          'passports rented from their holders for 1 000 EUR each',
          'boarding passes bought the same hour',
        ],
        quantity: 5,
      },
    },
    'H2: euaa (cleared up to H1) does not receive it',
  );
  add(documents, 'cp-gr: the modus operandi of the look-alike ring', {
    ...base('cp-gr', 'analyst-21'),
    route: 'SMUGGLING_ROUTE_EASTERN_MEDITERRANEAN',
    modusOperandiReport: {
      category: 'MODUS_OPERANDI_CATEGORY_LOOK_ALIKES',
      title: 'Genuine EU documents rented to look-alikes for flights from Athens',
      indicators: [
        'several passengers holding documents issued in the same month',
        'holders cannot state their address',
      ],
      narrative:
        'The ring collects genuine passports in Sweden and Italy and matches them to migrants by photograph.',
      countries: ['GR', 'SE', 'IT'],
    },
  });

  // 5. Smugglers' adverts on social media, referred to Europol's Internet Referral Unit.
  const adverts = "Smugglers' adverts on social media";
  add(adverts, 'emlo-ne: Facebook group advertising "safe" crossings from Libya, in Arabic', {
    ...base('emlo-ne', 'officer-17'),
    recipients: ['europol-iru'],
    internetContentReferral: {
      url: 'https://www.facebook.com/groups/801234567890123/posts/912345678901234/',
      platform: 'Facebook',
      language: 'ar',
      kind: 'INTERNET_CONTENT_KIND_CROSSING_ADVERTISEMENT',
      evidenceSha256: evidence('facebook-801234567890123-912345678901234'),
      capturedAt: daysAgo(1),
      requestedAction: 'REFERRAL_ACTION_REFER_FOR_REMOVAL',
      status: 'REFERRAL_STATUS_NEW',
    },
  });
  add(adverts, 'cp-it: TikTok video with a price list for Lampedusa, in Tigrinya', {
    ...base('cp-it', 'cyber-05'),
    recipients: ['europol-iru'],
    internetContentReferral: {
      url: 'https://www.tiktok.com/@sea.travel.ly/video/7301234567890123456',
      platform: 'TikTok',
      language: 'ti',
      kind: 'INTERNET_CONTENT_KIND_PRICE_LIST',
      evidenceSha256: evidence('tiktok-7301234567890123456'),
      capturedAt: daysAgo(2),
      requestedAction: 'REFERRAL_ACTION_REFER_FOR_REMOVAL',
      status: 'REFERRAL_STATUS_NEW',
    },
  });
  add(adverts, 'ilo-it-ly: Telegram channel selling places on boats, in French — to monitor', {
    ...base('ilo-it-ly', 'officer-03'),
    recipients: ['europol-iru'],
    internetContentReferral: {
      url: 'https://t.me/s/traversee_sure_italie',
      platform: 'Telegram',
      language: 'fr',
      kind: 'INTERNET_CONTENT_KIND_RECRUITMENT',
      requestedAction: 'REFERRAL_ACTION_MONITOR',
      status: 'REFERRAL_STATUS_MONITORING',
    },
  });

  // 6. Debriefings at a hotspot.
  const debriefings = 'Debriefings at the Lampedusa hotspot';
  const debriefingBase = {
    handlingCode: 'HANDLING_CODE_H2',
    containsPersonalData: true,
    purpose: 'Identification of the facilitators of a smuggling network on the central Mediterranean route',
    evaluation: { sourceReliability: 'SOURCE_RELIABILITY_X', informationAccuracy: 'INFORMATION_ACCURACY_2' },
  } as const;
  add(debriefings, 'cp-it: Khartoum – Kufra – Sabratha – Lampedusa, 4 200 USD paid through hawala', {
    ...base('cp-it', 'debrief-team-2'),
    ...debriefingBase,
    recipients: ['jot-mare', 'frontex-ra'],
    // The account of the debriefing fixture, as if heard yesterday.
    debriefingReport: { ...validDebriefingReportEnvelope().debriefingReport!, debriefedAt: daysAgo(1) },
  });
  add(debriefings, `cp-it: passengers of IMO ${DEMO_VESSEL_IMO} describe the crew and the price`, {
    ...base('cp-it', 'debrief-team-2'),
    ...debriefingBase,
    recipients: ['jot-mare', 'cp-gr'],
    debriefingReport: {
      hotspot: 'Lampedusa',
      hotspotCountry: 'IT',
      debriefedAt: daysAgo(0.2),
      routeTaken: [
        {
          fromCountry: 'TR',
          fromPlace: 'Mersin',
          toCountry: 'IT',
          toPlace: 'Lampedusa',
          mode: 'TRANSPORT_MODE_SEA',
          conveyance: 'cargo ship, then towed',
        },
      ],
      pricePaid: { amount: '6500.00', currency: 'USD' },
      facilitators: [
        {
          role: 'recruiter',
          nationality: 'SY',
          description: 'recruits in cafés in Mersin, speaks Turkish and Arabic',
        },
      ],
      selectors: {
        phoneNumbers: ['+905321234567'],
        ibans: [DEMO_IBANS.hawaladarTr],
        vesselImoNumbers: [DEMO_VESSEL_IMO],
      },
      nationality: 'SY',
      narrative: 'The crew left by speedboat two days before the ship was intercepted.',
    },
  });

  // 7. Items the sharing rules withhold.
  const withheld = 'Items the sharing rules withhold';
  add(
    withheld,
    'ilo-it-ly: TLP RED, a mother ship about to leave Zuwara, for cp-it only',
    {
      ...base('ilo-it-ly', 'officer-03'),
      recipients: ['cp-it'],
      tlp: 'TLP_RED',
      modusOperandiReport: {
        category: 'MODUS_OPERANDI_CATEGORY_MOTHER_SHIPS',
        title: 'Mother ship towing two wooden boats expected to leave Zuwara within 48 hours',
        indicators: ['fishing trawler loading fuel drums', 'two wooden boats moored alongside at night'],
        narrative: 'Source inside the port authority; any leak endangers the source.',
      },
    },
    'TLP RED: only the named cp-it receives it, subscribers such as jot-mare and frontex-ra do not',
  );
  add(
    withheld,
    'emlo-ne: route report for the EU only — not for the AFIC partner countries',
    {
      ...base('emlo-ne', 'officer-17'),
      recipients: ['cp-it'],
      routeReport: {
        segments: [
          {
            fromCountry: 'NE',
            fromPlace: 'Agadez',
            toCountry: 'LY',
            toPlace: 'Qatrun',
            mode: 'TRANSPORT_MODE_LAND',
            conveyance: 'trucks through the Salvador Pass',
          },
        ],
        departureArea: 'Agadez bus station',
        departureCountry: 'NE',
        peopleCarried: 40,
        pricePerPerson: { amount: '250000', currency: 'XOF' },
        nationalities: ['NG', 'GH', 'CI'],
        narrative: 'Names a Nigerien official who escorts the convoys: for EU partners only.',
      },
    },
    'EU only: afic-partner-ne and afic-partner-ng (third countries) do not receive it',
  );
  add(
    withheld,
    'emlo-ne: H2 route report released to Niger, whose AFIC partner is cleared for H1 only',
    {
      ...base('emlo-ne', 'officer-17'),
      recipients: ['cp-it', 'afic-partner-ne'],
      handlingCode: 'HANDLING_CODE_H2',
      releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES', thirdCountries: ['NE'] },
      routeReport: {
        segments: [
          {
            fromCountry: 'NE',
            fromPlace: 'Arlit',
            toCountry: 'DZ',
            toPlace: 'Tamanrasset',
            mode: 'TRANSPORT_MODE_LAND',
            conveyance: 'four-wheel drives',
          },
        ],
        departureCountry: 'NE',
        peopleCarried: 24,
        pricePerPerson: { amount: '400.00', currency: 'EUR' },
        nationalities: ['ML', 'GN'],
      },
    },
    'H2: afic-partner-ne (clearance H1) is refused even though it is named and Niger is released to',
  );
  return items;
}
