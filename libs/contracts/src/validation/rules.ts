/**
 * Pure predicates behind the contract's validation rules: no decorators, no I/O, no normalisation.
 * Each accepts `unknown` and answers whether the value is already in the one canonical form the
 * exchange uses (upper-case IBANs without spaces, `+` E.164 numbers, ...): senders normalise, the
 * contract only checks, so that every party stores and cross-checks the same spelling.
 */
import { isISO31661Alpha2, isISO4217CurrencyCode, isISO6391 } from 'class-validator';
import { EU_MEMBER_STATES, IBAN_LENGTHS } from './reference-data.js';

/** IMO ship number: 7 digits, first not 0, the 7th equals (d1·7 + d2·6 + … + d6·2) mod 10. */
export function isImoNumber(value: unknown): value is string {
  if (typeof value !== 'string' || !/^[1-9][0-9]{6}$/.test(value)) return false;
  let sum = 0;
  for (let i = 0; i < 6; i++) sum += Number(value[i]) * (7 - i);
  return sum % 10 === Number(value[6]);
}

/**
 * MMSI of a ship station: 9 digits whose first digit (the start of the MID) is 2–7. Coast stations
 * (00…), groups (0…), SAR aircraft (111…), handhelds (8…) and AIS-SART/MOB/EPIRB/aids to navigation
 * (9…) are not vessels and are rejected.
 */
export function isMmsi(value: unknown): value is string {
  return typeof value === 'string' && /^[2-7][0-9]{8}$/.test(value);
}

/** IBAN in electronic form: known country, that country's length, alphanumeric BBAN, mod-97 = 1. */
export function isIban(value: unknown): value is string {
  if (typeof value !== 'string' || !/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(value)) return false;
  if (IBAN_LENGTHS[value.slice(0, 2)] !== value.length) return false;
  return mod97(value.slice(4) + value.slice(0, 4)) === 1;
}

/** ISO 7064 mod 97-10 of an alphanumeric string, letters counting A=10 … Z=35. */
function mod97(text: string): number {
  let remainder = 0;
  for (const char of text) {
    const code = char.charCodeAt(0);
    const digits = code >= 65 ? code - 55 : code - 48;
    remainder = (remainder * (digits >= 10 ? 100 : 10) + digits) % 97;
  }
  return remainder;
}

/** BIC (ISO 9362): 4-letter bank, valid country, 2 alphanumeric location, optional 3 alphanumeric branch. */
export function isBic(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = /^[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/.exec(value);
  return match !== null && isCountryCode(match[1]);
}

/**
 * ISO 3166-1 alpha-2 code in upper case, officially assigned; plus `XK`, the user-assigned code the EU,
 * Frontex and the IBAN/BIC registries use for Kosovo, which the Western Balkans route cannot do without.
 */
export function isCountryCode(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Z]{2}$/.test(value) && (value === 'XK' || isISO31661Alpha2(value));
}

/** One of the 27 EU member states, by ISO 3166-1 alpha-2 code (Greece is `GR`, not `EL`). */
export function isEuMemberState(value: unknown): value is string {
  return typeof value === 'string' && EU_MEMBER_STATES.has(value);
}

/** Codes in the ISO 4217 list that are not money: testing (XTS) and "no currency" (XXX). */
const NOT_MONEY = new Set(['XTS', 'XXX']);
/** Codes introduced after the list class-validator ships: Zimbabwe Gold (2024), Caribbean guilder (2025). */
const RECENT_CURRENCIES = new Set(['ZWG', 'XCG']);

/** ISO 4217 alphabetic currency code in upper case, for example EUR, USD, LYD. */
export function isCurrencyCode(value: unknown): value is string {
  if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value) || NOT_MONEY.has(value)) return false;
  return RECENT_CURRENCIES.has(value) || isISO4217CurrencyCode(value);
}

/** E.164 phone number: `+`, then 2–15 digits, the first (country code) not 0; no spaces or dashes. */
export function isE164(value: unknown): value is string {
  return typeof value === 'string' && /^\+[1-9][0-9]{1,14}$/.test(value);
}

/**
 * Absolute http(s) URL with a host, at most 2048 characters; no credentials (`user:pass@`), no
 * whitespace, backslashes or control characters, which parsers disagree on.
 */
export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2048) return false;
  const authority = /^https?:\/\/([^/?#]*)/i.exec(value);
  if (authority === null || authority[1].includes('@') || /[\s\\\p{Cc}]/u.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

/** Non-negative decimal as text: no sign, no leading zeros, ≤ 12 integer and ≤ 4 fractional digits. */
export function isDecimalAmount(value: unknown): value is string {
  return typeof value === 'string' && /^(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,4})?$/.test(value);
}

/** Node id: lowercase alphanumeric words joined by single dashes, ≤ 64 characters (a NATS subject token). */
export function isNodeId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 64 && /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(value);
}

/**
 * UUID in canonical 8-4-4-4-12 form, version 1–8, RFC 9562 variant; all lower case or all upper case
 * (mixed case is refused because ids are compared as text for deduplication). Nil and max are refused.
 */
export function isUuid(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    (/^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(value) ||
      /^[0-9A-F]{8}-[0-9A-F]{4}-[1-8][0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/.test(value))
  );
}

/** SHA-256 digest as 64 hex digits, all lower case or all upper case. */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && (/^[0-9a-f]{64}$/.test(value) || /^[0-9A-F]{64}$/.test(value));
}

/**
 * A blind-matching token: HMAC-SHA256 (32 bytes) in base64url without padding, 43 characters. The last
 * character carries 2 bits of the digest, so it is one of the 16 letters that leave the padding bits zero.
 */
export function isBlindToken(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(value);
}

/** The id of a matching key: `mk-` and 16 lower-case hexadecimal digits of its fingerprint. */
export function isMatchKeyId(value: unknown): value is string {
  return typeof value === 'string' && /^mk-[0-9a-f]{16}$/.test(value);
}

/** ISO 639-1 language code: two lower-case letters from the assigned list, for example `ar`, `ti`. */
export function isLanguageCode(value: unknown): value is string {
  return typeof value === 'string' && /^[a-z]{2}$/.test(value) && isISO6391(value);
}

/**
 * Officer id: 1–64 visible characters; no whitespace, control, format (zero-width, bidi), private-use
 * or unassigned code points, so that an id reads the same in every log and audit row.
 */
export function isOfficerId(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const length = [...value].length;
  return length >= 1 && length <= 64 && /^[^\p{White_Space}\p{C}]+$/u.test(value);
}

/** Longest officer id, in characters (the same bound as isOfficerId's). */
export const MAX_OFFICER_ID_LENGTH = 64;

/**
 * An officer id in the ASCII form bound to a node: `<node>.<name>`, where `<node>` is a node id (see
 * isNodeId, so it holds no `.`) and `<name>` is a lower-case ASCII letter or digit followed by up to 62 of
 * them or `.`, `_`, `-`; at most MAX_OFFICER_ID_LENGTH characters in all. Every such id is also an
 * isOfficerId, which stays wider for ids that agency systems chose before node binding.
 */
export function isNodeBoundOfficerId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_OFFICER_ID_LENGTH) return false;
  const dot = value.indexOf('.');
  return dot > 0 && isNodeId(value.slice(0, dot)) && OFFICER_NAME.test(value.slice(dot + 1));
}

const OFFICER_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * Officer id of an officer of `node`: a node-bound id (see isNodeBoundOfficerId) whose node part is
 * exactly `node`. Look-alike letters from other scripts (Cyrillic "о" for Latin "o") never match.
 */
export function isOfficerOfNode(value: unknown, node: string): value is string {
  return isNodeBoundOfficerId(value) && value.slice(0, value.indexOf('.')) === node;
}

/** Identity or travel document number: 1–32 letters, digits, `-` or `/`, starting with a letter or digit. */
export function isDocumentNumber(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9/-]{0,31}$/.test(value);
}

/**
 * Text without control characters or unpaired surrogates (which cannot be encoded as UTF-8); with
 * `multiline`, tab, line feed and carriage return are allowed.
 */
export function hasNoControlCharacters(value: unknown, multiline = false): value is string {
  if (typeof value !== 'string') return false;
  return !(multiline ? /(?![\t\n\r])\p{Cc}|\p{Cs}/u : /\p{Cc}|\p{Cs}/u).test(value);
}

/**
 * The RFC 3339 timestamps protobuf JSON accepts (`fromJson` of google.protobuf.Timestamp): upper-case
 * `T`, 0–9 fractional digits, `Z` or `±hh:mm`, a real calendar date and time, year 0001 to 9999.
 */
export function isRfc3339Timestamp(value: unknown): value is string {
  return timestampMillis(value) !== undefined;
}

const RFC3339 =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,9})?(Z|[+-]([0-9]{2}):([0-9]{2}))$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MIN_TIMESTAMP_MS = Date.parse('0001-01-01T00:00:00Z');
const MAX_TIMESTAMP_MS = Date.parse('9999-12-31T23:59:59Z');

/** Milliseconds since the epoch of a valid RFC 3339 timestamp (see isRfc3339Timestamp), else undefined; fractions of a second are dropped. */
export function timestampMillis(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = RFC3339.exec(value);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leapDay = month === 2 && isLeapYear(year) ? 1 : 0;
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1] + leapDay) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[8] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return undefined;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7]}`);
  return Number.isNaN(ms) || ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS ? undefined : ms;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
