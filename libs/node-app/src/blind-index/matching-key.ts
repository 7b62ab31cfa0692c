import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { INTEL_TYPES, SelectorKind, type Envelope } from '#contracts';
import {
  MAX_SELECTORS_PER_ITEM,
  normalisedSelectorsOf,
  normaliseSelector,
  type SelectorKindName,
} from '#policy';

/**
 * The parties' matching key for blind hit/no-hit (DESIGN §2): 32 random bytes every party node holds and the
 * matching service never does. Tokens are HMAC-SHA256 under it, so whoever holds tokens without the key can
 * neither tell which selector one stands for nor test a guess (an IBAN, a phone number) against it.
 */
export interface MatchingKey {
  /** `mk-` and 16 hex digits of the key's fingerprint: names the key in tokens, never reveals it. */
  id: string;
  secret: Uint8Array;
}

/** The matching key's file name in a local exchange's key folder (`npm start` makes it). */
export const MATCH_KEY_FILE_NAME = 'match.key';

/** Bytes of a matching key. */
export const MATCHING_KEY_BYTES = 32;

/** The id of a matching key: a fingerprint under its own label, so it is no token of anything. */
export function matchingKeyId(secret: Uint8Array): string {
  return `mk-${createHash('sha256').update('msx-match-key\n').update(secret).digest('hex').slice(0, 16)}`;
}

/**
 * A matching key from the text of its file: 64 hexadecimal digits (32 bytes), surrounding white space
 * allowed, nothing else.
 * @throws Error naming `where` when the text is anything else
 */
export function matchingKeyFrom(text: string, where: string): MatchingKey {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new Error(`${where}: a matching key is 64 hexadecimal digits (32 random bytes), nothing else`);
  const secret = Uint8Array.from(Buffer.from(hex, 'hex'));
  return { id: matchingKeyId(secret), secret };
}

/** Reads a matching key file (see {@link matchingKeyFrom}); the file is a secret, mode 0600. */
export function readMatchingKeyFile(file: string): MatchingKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the matching key: ${(err as Error).message}`, { cause: err });
  }
  return matchingKeyFrom(text, file);
}

/** The text of a fresh matching key file. */
export function newMatchingKeyText(): string {
  return `${randomBytes(MATCHING_KEY_BYTES).toString('hex')}\n`;
}

/**
 * The matching key file at `file`, made (mode 0600) when there is none; an existing key is never replaced,
 * since the tokens every node told the matching service were made with it.
 * @returns the key
 */
export function ensureMatchingKeyFile(file: string): MatchingKey {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, newMatchingKeyText(), { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (err) {
    // There already, or made by another process at the same moment: that one is the key.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readMatchingKeyFile(file);
}

/**
 * The selector kinds compared across holdings (correlation, blind matching), as the contract names them;
 * vessel names are not among them (they go to JOT MARE's watch-list).
 */
export const BLIND_KINDS: Readonly<Record<Exclude<SelectorKindName, 'vessel'>, SelectorKind>> = {
  imo: SelectorKind.IMO_NUMBER,
  mmsi: SelectorKind.MMSI,
  iban: SelectorKind.IBAN,
  phone: SelectorKind.PHONE_NUMBER,
  document: SelectorKind.DOCUMENT_NUMBER,
  url: SelectorKind.URL,
};

/** A contract selector kind as audit rows and erasure accounts name it: `iban`, `phone-number`. */
export const selectorKindLabel = (kind: number): string =>
  (SelectorKind[kind] ?? String(kind)).toLowerCase().replaceAll('_', '-');

/** A token of one selector: its kind in clear (the matching service compares within a kind) and its hash. */
export interface HeldToken {
  kind: SelectorKind;
  token: string;
}

/**
 * The token of one selector: HMAC-SHA256 under the key of `<contract kind name>\n<normalised value>`, in
 * base64url without padding. The same selector gives the same token at every party holding the key.
 */
export function blindToken(key: MatchingKey, kind: SelectorKind, value: string): string {
  return createHmac('sha256', key.secret).update(`${SelectorKind[kind]}\n${value}`).digest('base64url');
}

const byToken = (a: HeldToken, b: HeldToken) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0);

/**
 * The tokens of the selectors an item of intelligence carries (typed fields and free text, the exchange's
 * one spelling), each once, sorted, at most MAX_SELECTORS_PER_ITEM of them. None for products, control
 * messages and forwarded copies.
 */
export function blindTokensOf(key: MatchingKey, envelope: Envelope): HeldToken[] {
  const type = envelope.payload.case;
  if (!type || !INTEL_TYPES.includes(type)) return [];
  const tokens = new Map<string, HeldToken>();
  for (const s of normalisedSelectorsOf(envelope)) {
    if (s.kind === 'vessel') continue;
    const kind = BLIND_KINDS[s.kind];
    const token = blindToken(key, kind, s.value);
    tokens.set(token, { kind, token });
  }
  return [...tokens.values()].sort(byToken).slice(0, MAX_SELECTORS_PER_ITEM);
}

/** A selector a party asks about, as its officer writes it. */
export interface AskedSelector {
  kind: Exclude<SelectorKindName, 'vessel'>;
  value: string;
}

/**
 * The tokens of the selectors a party asks about, in the order asked, each in the exchange's one spelling,
 * so that `IT60 X054 …` finds what was indexed as `IT60X054…`.
 * @throws Error naming the selector (by position and kind, never its value) that is not a valid one
 */
export function queryTokensOf(key: MatchingKey, selectors: readonly AskedSelector[]): HeldToken[] {
  return selectors.map((s, i) => {
    const kind = BLIND_KINDS[s.kind];
    const value = kind === undefined ? undefined : normaliseSelector(s.kind, s.value);
    if (value === undefined)
      throw new Error(
        `selectors[${i}]: not a valid ${s.kind} (kinds: ${Object.keys(BLIND_KINDS).join(', ')})`,
      );
    return { kind, token: blindToken(key, kind, value) };
  });
}
