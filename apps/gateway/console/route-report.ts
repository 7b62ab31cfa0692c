/**
 * The route report as the officer's form holds it (text as typed), and the envelope it makes: the JSON form
 * of msx.v1.Envelope with a RouteReport, as `POST /v1/messages` and its preview take it. Nothing is checked
 * here: the gateway checks every rule and answers each broken one with its field's path, which is the name
 * of the form's input.
 */

/** One leg of the route as typed. */
export interface SegmentDraft {
  fromCountry: string;
  fromPlace: string;
  toCountry: string;
  toPlace: string;
  mode: string;
  conveyance: string;
}

/** The form's fields, as typed; lists are typed as text separated by commas or spaces. */
export interface RouteReportDraft {
  recipients: string;
  route: string;
  handlingCode: string;
  handlingRestriction: string;
  tlp: string;
  sourceReliability: string;
  informationAccuracy: string;
  releasabilityScope: string;
  thirdCountries: string;
  containsPersonalData: boolean;
  purpose: string;
  purposes: string[];
  /** `datetime-local` value, the browser's time zone. */
  expiresAt: string;
  segments: SegmentDraft[];
  departureArea: string;
  departureCountry: string;
  periodStart: string;
  periodEnd: string;
  peopleCarried: string;
  priceAmount: string;
  priceCurrency: string;
  nationalities: string;
  narrative: string;
}

/** A choice of a select: the value sent and what the officer reads. */
export type Choice = readonly [value: string, label: string];

export const ROUTES: readonly Choice[] = [
  ['SMUGGLING_ROUTE_CENTRAL_MEDITERRANEAN', 'Central Mediterranean'],
  ['SMUGGLING_ROUTE_EASTERN_MEDITERRANEAN', 'Eastern Mediterranean'],
  ['SMUGGLING_ROUTE_WESTERN_MEDITERRANEAN', 'Western Mediterranean'],
  ['SMUGGLING_ROUTE_WESTERN_BALKANS', 'Western Balkans'],
  ['SMUGGLING_ROUTE_EASTERN_LAND_BORDER', 'Eastern land border'],
  ['SMUGGLING_ROUTE_WESTERN_AFRICAN_ATLANTIC', 'Western African Atlantic'],
  ['SMUGGLING_ROUTE_BLACK_SEA', 'Black Sea'],
  ['SMUGGLING_ROUTE_CIRCULAR_ALBANIA_GREECE', 'Circular Albania – Greece'],
  ['SMUGGLING_ROUTE_AIR', 'Air'],
  ['SMUGGLING_ROUTE_OTHER', 'Other'],
];

export const HANDLING_CODES: readonly Choice[] = [
  ['HANDLING_CODE_H0', 'H0 — only to prevent and combat crime'],
  ['HANDLING_CODE_H1', 'H1 — not in judicial proceedings without permission'],
  ['HANDLING_CODE_H2', 'H2 — not to be disseminated without permission'],
  ['HANDLING_CODE_H3', 'H3 — other restrictions (state them)'],
];

export const TLPS: readonly Choice[] = [
  ['TLP_CLEAR', 'TLP:CLEAR'],
  ['TLP_GREEN', 'TLP:GREEN'],
  ['TLP_AMBER', 'TLP:AMBER'],
  ['TLP_AMBER_STRICT', 'TLP:AMBER+STRICT'],
  ['TLP_RED', 'TLP:RED — named recipients only'],
];

export const SOURCE_RELIABILITIES: readonly Choice[] = [
  ['SOURCE_RELIABILITY_A', 'A — no doubt'],
  ['SOURCE_RELIABILITY_B', 'B — mostly reliable'],
  ['SOURCE_RELIABILITY_C', 'C — mostly unreliable'],
  ['SOURCE_RELIABILITY_X', 'X — cannot be assessed'],
];

export const INFORMATION_ACCURACIES: readonly Choice[] = [
  ['INFORMATION_ACCURACY_1', '1 — not in doubt'],
  ['INFORMATION_ACCURACY_2', '2 — known personally to the source'],
  ['INFORMATION_ACCURACY_3', '3 — corroborated'],
  ['INFORMATION_ACCURACY_4', '4 — cannot be corroborated'],
];

export const RELEASABILITY_SCOPES: readonly Choice[] = [
  ['RELEASABILITY_SCOPE_EU_ONLY', 'EU only'],
  ['RELEASABILITY_SCOPE_THIRD_COUNTRIES', 'Also the third countries listed'],
];

export const PURPOSES: readonly Choice[] = [
  ['PURPOSE_CRIMINAL_INVESTIGATION', 'Criminal investigation'],
  ['PURPOSE_JUDICIAL_PROCEEDINGS', 'Judicial proceedings'],
  ['PURPOSE_BORDER_MANAGEMENT', 'Border management'],
  ['PURPOSE_FINANCIAL_INVESTIGATION', 'Financial investigation'],
  ['PURPOSE_RISK_ANALYSIS', 'Risk analysis'],
  ['PURPOSE_CONTENT_REMOVAL', 'Content removal'],
];

export const TRANSPORT_MODES: readonly Choice[] = [
  ['TRANSPORT_MODE_SEA', 'Sea'],
  ['TRANSPORT_MODE_LAND', 'Land'],
  ['TRANSPORT_MODE_AIR', 'Air'],
];

export const emptySegment = (): SegmentDraft => ({
  fromCountry: '',
  fromPlace: '',
  toCountry: '',
  toPlace: '',
  mode: '',
  conveyance: '',
});

/** A new report: one empty leg, EU only, and the choices most reports make. */
export const emptyRouteReport = (): RouteReportDraft => ({
  recipients: '',
  route: 'SMUGGLING_ROUTE_CENTRAL_MEDITERRANEAN',
  handlingCode: 'HANDLING_CODE_H1',
  handlingRestriction: '',
  tlp: 'TLP_AMBER',
  sourceReliability: '',
  informationAccuracy: '',
  releasabilityScope: 'RELEASABILITY_SCOPE_EU_ONLY',
  thirdCountries: '',
  containsPersonalData: false,
  purpose: '',
  purposes: [],
  expiresAt: '',
  segments: [emptySegment()],
  departureArea: '',
  departureCountry: '',
  periodStart: '',
  periodEnd: '',
  peopleCarried: '',
  priceAmount: '',
  priceCurrency: '',
  nationalities: '',
  narrative: '',
});

/** A list typed as text: entries separated by commas or white space, empty ones dropped. */
export const listOf = (text: string): string[] => text.split(/[\s,]+/).filter((s) => s !== '');

/** A `datetime-local` value as RFC 3339 in UTC; the text as typed when it is no time. */
const timeOf = (local: string): string => {
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? local : at.toISOString();
};

/** Fields left empty are left out, so that the gateway reports what is missing under the field's own path. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === '' || value === undefined) return;
  if (Array.isArray(value) && value.length === 0) return;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0)
    return;
  target[key] = value;
}

const object = (entries: [string, unknown][]): Record<string, unknown> => {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) put(o, k, v);
  return o;
};

/** A whole number of people as a number; anything else as typed, for the gateway to name. */
const countOf = (text: string): number | string =>
  /^\d{1,9}$/.test(text.trim()) ? Number(text) : text.trim();

/**
 * The envelope of a draft, with the id the officer's submission keeps across retries. Codes (countries,
 * currencies) are sent in upper case, whatever case they were typed in.
 */
export function envelopeOf(d: RouteReportDraft, id: string): Record<string, unknown> {
  return object([
    ['id', id],
    ['recipients', listOf(d.recipients)],
    ['route', d.route],
    ['handlingCode', d.handlingCode],
    ['handlingRestriction', d.handlingRestriction.trim()],
    ['tlp', d.tlp],
    [
      'evaluation',
      object([
        ['sourceReliability', d.sourceReliability],
        ['informationAccuracy', d.informationAccuracy],
      ]),
    ],
    [
      'releasability',
      object([
        ['scope', d.releasabilityScope],
        ['thirdCountries', listOf(d.thirdCountries).map((c) => c.toUpperCase())],
      ]),
    ],
    ['containsPersonalData', d.containsPersonalData || undefined],
    ['purpose', d.purpose.trim()],
    ['purposes', d.purposes],
    ['expiresAt', d.expiresAt === '' ? '' : timeOf(d.expiresAt)],
    [
      'routeReport',
      {
        segments: d.segments.map((s) =>
          object([
            ['fromCountry', s.fromCountry.trim().toUpperCase()],
            ['fromPlace', s.fromPlace.trim()],
            ['toCountry', s.toCountry.trim().toUpperCase()],
            ['toPlace', s.toPlace.trim()],
            ['mode', s.mode],
            ['conveyance', s.conveyance.trim()],
          ]),
        ),
        ...object([
          ['departureArea', d.departureArea.trim()],
          ['departureCountry', d.departureCountry.trim().toUpperCase()],
          [
            'period',
            object([
              ['start', d.periodStart === '' ? '' : timeOf(d.periodStart)],
              ['end', d.periodEnd === '' ? '' : timeOf(d.periodEnd)],
            ]),
          ],
          ['peopleCarried', d.peopleCarried.trim() === '' ? '' : countOf(d.peopleCarried)],
          [
            'pricePerPerson',
            object([
              ['amount', d.priceAmount.trim()],
              ['currency', d.priceCurrency.trim().toUpperCase()],
            ]),
          ],
          ['nationalities', listOf(d.nationalities).map((c) => c.toUpperCase())],
          ['narrative', d.narrative.trim()],
        ]),
      },
    ],
  ]);
}

/** Every path the form shows an input or a group for: where the gateway's violations are shown. */
export function formFields(d: RouteReportDraft): Set<string> {
  const fields = [
    'recipients',
    'route',
    'handlingCode',
    'handlingRestriction',
    'tlp',
    'evaluation',
    'evaluation.sourceReliability',
    'evaluation.informationAccuracy',
    'releasability',
    'releasability.scope',
    'releasability.thirdCountries',
    'containsPersonalData',
    'purpose',
    'purposes',
    'expiresAt',
    'routeReport.segments',
    'routeReport.departureArea',
    'routeReport.departureCountry',
    'routeReport.period',
    'routeReport.period.start',
    'routeReport.period.end',
    'routeReport.peopleCarried',
    'routeReport.pricePerPerson',
    'routeReport.pricePerPerson.amount',
    'routeReport.pricePerPerson.currency',
    'routeReport.nationalities',
    'routeReport.narrative',
  ];
  d.segments.forEach((_, i) => {
    for (const k of ['fromCountry', 'fromPlace', 'toCountry', 'toPlace', 'mode', 'conveyance'])
      fields.push(`routeReport.segments[${i}].${k}`);
  });
  return new Set(fields);
}

/**
 * A new UUIDv7 (RFC 9562): 48-bit Unix time in milliseconds, then random bits. The console chooses the id, so
 * that a submission sent again after a `503` is the same message and is routed once.
 */
export function uuidv7(
  nowMs: number = Date.now(),
  random: Uint8Array = crypto.getRandomValues(new Uint8Array(16)),
): string {
  const b = Uint8Array.from(random.subarray(0, 16));
  let ms = nowMs;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
