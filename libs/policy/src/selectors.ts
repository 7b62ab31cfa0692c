import {
  isCountryCode,
  isDocumentNumber,
  isE164,
  isHttpUrl,
  isIban,
  isImoNumber,
  isItemPayload,
  isMmsi,
  sha256Hex,
  type Envelope,
} from '#contracts';

/**
 * The selectors intelligence is recognised by, whatever its wording: IMO and MMSI numbers, IBANs, phone
 * numbers (E.164), identity and travel document numbers, URLs, and vessel names together with their flag.
 */
export type SelectorKindName = 'imo' | 'mmsi' | 'iban' | 'phone' | 'document' | 'url' | 'vessel';

/** A selector in the one spelling the exchange compares. In clear: never stored, only its digest is. */
export interface NormalisedSelector {
  kind: SelectorKindName;
  value: string;
}

const enc = new TextEncoder();

/** Fewest digits a phone number found in free text must have (country code included) to count. */
const MIN_TEXT_PHONE_DIGITS = 7;
/** Fewest letters and digits a document number found in free text must have to count. */
const MIN_TEXT_DOCUMENT_CHARS = 5;

/**
 * The value of a selector in the spelling the exchange compares, or undefined when it is not one:
 * - imo: the 7 digits (an `IMO` prefix and spaces dropped), with a valid check digit;
 * - mmsi: the 9 digits of a ship station;
 * - iban: upper case without spaces, mod-97 valid;
 * - phone: `+` and the digits, spaces, dots, dashes and brackets dropped; `00` read as `+`;
 * - document: upper case letters and digits, `-`, `/` and spaces dropped;
 * - url: host in lower case without `www.`, port, path without trailing `/`, query; scheme and fragment
 *   dropped, so http and https spellings of one address are one selector;
 * - vessel: `<flag>:<name>`, the flag an ISO 3166-1 alpha-2 code, the name in upper case, accents and
 *   punctuation dropped, single spaces (give `raw` as `flag:name`).
 */
export function normaliseSelector(kind: SelectorKindName, raw: string): string | undefined {
  switch (kind) {
    case 'imo': {
      const v = raw.replace(/^\s*IMO\s*/i, '').replace(/\s+/g, '');
      return isImoNumber(v) ? v : undefined;
    }
    case 'mmsi': {
      const v = raw.replace(/\s+/g, '');
      return isMmsi(v) ? v : undefined;
    }
    case 'iban': {
      const v = raw.replace(/\s+/g, '').toUpperCase();
      return isIban(v) ? v : undefined;
    }
    case 'phone': {
      const compact = raw.replace(/[\s().-]/g, '');
      const v = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
      return isE164(v) ? v : undefined;
    }
    case 'document': {
      if (!isDocumentNumber(raw.trim())) return undefined;
      const v = raw.replace(/[\s/-]/g, '').toUpperCase();
      return v.length > 0 ? v : undefined;
    }
    case 'url':
      return normaliseUrl(raw);
    case 'vessel': {
      const at = raw.indexOf(':');
      const flag = raw.slice(0, at).trim().toUpperCase();
      const name = normaliseName(raw.slice(at + 1));
      return at > 0 && isCountryCode(flag) && name !== '' ? `${flag}:${name}` : undefined;
    }
  }
}

function normaliseUrl(raw: string): string | undefined {
  if (!isHttpUrl(raw)) return undefined;
  const url = new URL(raw);
  const host = url.hostname.replace(/^www\./, '');
  const port = url.port ? `:${url.port}` : '';
  const path = url.pathname.replace(/\/+$/, '');
  return `${host}${port}${path}${url.search}`;
}

function normaliseName(raw: string): string {
  return raw
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * Selectors written into free text (narratives, indicators, descriptions). Only unambiguous spellings count:
 * a `+` phone number, an upper-case IBAN, and IMO, MMSI and document numbers only after their label, so that
 * ordinary numbers in a narrative are never taken for selectors. Bounded repetitions only: linear time.
 */
const TEXT_PATTERNS: readonly { kind: SelectorKindName; pattern: RegExp; minChars?: number }[] = [
  { kind: 'phone', pattern: /(?<![\p{L}\p{N}+])\+[1-9](?:[ .-]?\(?[0-9]\)?){1,14}/gu },
  { kind: 'iban', pattern: /(?<![\p{L}\p{N}])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}/gu },
  {
    kind: 'imo',
    pattern:
      /(?<![\p{L}\p{N}])IMO(?:[ .:#-]{0,3}(?:no|nr|number)\.?)?[ .:#-]{0,3}([1-9][0-9]{6})(?![0-9])/giu,
  },
  { kind: 'mmsi', pattern: /(?<![\p{L}\p{N}])MMSI[ .:#-]{0,3}([0-9]{9})(?![0-9])/giu },
  {
    kind: 'document',
    pattern:
      /(?<![\p{L}\p{N}])(?:passport|identity card|id card|visa|residence permit|travel document|document)(?:[ .:#-]{0,3}(?:no|nr|number)\.?)?[ .:#-]{0,3}([A-Z0-9][A-Z0-9/-]{0,31})(?![A-Z0-9/-])/giu,
  },
  { kind: 'url', pattern: /(?<![\p{L}\p{N}])https?:\/\/[^\s<>"'`]{1,2040}/giu },
];

function* selectorsInText(text: string): Generator<NormalisedSelector> {
  for (const { kind, pattern } of TEXT_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const raw = match[1] ?? match[0];
      const value = textSelector(kind, raw);
      if (value !== undefined) yield { kind, value };
    }
  }
}

function textSelector(kind: SelectorKindName, raw: string): string | undefined {
  switch (kind) {
    case 'phone': {
      const v = normaliseSelector('phone', raw);
      return v !== undefined && v.length - 1 >= MIN_TEXT_PHONE_DIGITS ? v : undefined;
    }
    case 'iban': {
      // The pattern may run on into the next upper-case word; the country's length decides where it ends.
      const compact = raw.replace(/ /g, '');
      for (let length = 15; length <= compact.length; length++) {
        const v = normaliseSelector('iban', compact.slice(0, length));
        if (v !== undefined) return v;
      }
      return undefined;
    }
    case 'document': {
      const v = normaliseSelector('document', raw);
      // A label followed by a word ("document fraud") is not a number: it must hold a digit.
      return v !== undefined && v.length >= MIN_TEXT_DOCUMENT_CHARS && /[0-9]/.test(v) ? v : undefined;
    }
    case 'url':
      return normaliseSelector('url', raw.replace(/[.,;:!?)\]}]+$/, ''));
    default:
      return normaliseSelector(kind, raw);
  }
}

/** Every string in a payload message, however deeply nested: what free-text scanning reads. */
function* stringsOf(value: unknown): Generator<string> {
  if (typeof value === 'string') {
    yield value;
  } else if (Array.isArray(value)) {
    for (const v of value) yield* stringsOf(v);
  } else if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    for (const [key, v] of Object.entries(value)) if (!key.startsWith('$')) yield* stringsOf(v);
  }
}

/** Selectors held in the typed fields of a payload. */
function* structuredSelectors(envelope: Envelope): Generator<[SelectorKindName, string]> {
  const p = envelope.payload;
  switch (p.case) {
    case 'financialLead':
      for (const a of p.value.accounts) yield ['iban', a.iban];
      return;
    case 'suspectVesselReport':
      yield ['imo', p.value.imoNumber];
      yield ['mmsi', p.value.mmsi];
      yield ['vessel', `${p.value.flag}:${p.value.name}`];
      return;
    case 'internetContentReferral':
      yield ['url', p.value.url];
      return;
    case 'debriefingReport': {
      const s = p.value.selectors;
      for (const v of s?.phoneNumbers ?? []) yield ['phone', v];
      for (const v of s?.ibans ?? []) yield ['iban', v];
      for (const v of s?.vesselImoNumbers ?? []) yield ['imo', v];
      // Vessel names without a flag are too ambiguous to recognise anything by.
      return;
    }
    case 'vesselAlert':
      yield ['imo', p.value.imoNumber];
      yield ['mmsi', p.value.mmsi];
      return;
    default:
      return;
  }
}

/**
 * The selectors of an item in clear, normalised, each once, sorted by kind then value: from its typed
 * fields and from its free text. None for control messages and for forwarded copies (see
 * {@link isItemPayload}). For tests and for {@link selectorsOf}; never store or log them.
 */
export function normalisedSelectorsOf(envelope: Envelope): NormalisedSelector[] {
  if (!isItemPayload(envelope.payload) || envelope.consentRef !== '') return [];
  const found = new Map<string, NormalisedSelector>();
  const add = (s: NormalisedSelector) => found.set(`${s.kind}:${s.value}`, s);
  for (const [kind, raw] of structuredSelectors(envelope)) {
    const value = raw ? normaliseSelector(kind, raw) : undefined;
    if (value !== undefined) add({ kind, value });
  }
  for (const text of stringsOf(envelope.payload.value)) for (const s of selectorsInText(text)) add(s);
  return [...found.keys()].sort().map((k) => found.get(k)!);
}

/** The digest under which the exchange remembers a selector: SHA-256 (hex) of `kind:value`. */
export function selectorDigest({ kind, value }: NormalisedSelector): string {
  return sha256Hex(enc.encode(`${kind}:${value}`));
}

/**
 * The selector set of an item as digests (SHA-256 hex of `kind:normalised value`, sorted, each once): what
 * the router indexes and compares, so that no selector is stored in clear. Empty for control messages and
 * forwarded copies.
 */
export function selectorsOf(envelope: Envelope): string[] {
  return [...new Set(normalisedSelectorsOf(envelope).map(selectorDigest))]
    .sort()
    .slice(0, MAX_SELECTORS_PER_ITEM);
}

/**
 * Most selectors an item is indexed and compared by: the first of its digests in sorted order, the same
 * subset for the same set of selectors. Bounds the ledger writes before delivery and the size of the item's
 * record, whatever a submission's free text holds (a narrative may name hundreds of numbers).
 */
export const MAX_SELECTORS_PER_ITEM = 64;

/** The selectors written in one free text, normalised, in the order found. In clear: never store or log them. */
export function selectorsInFreeText(text: string): NormalisedSelector[] {
  return [...selectorsInText(text)];
}
