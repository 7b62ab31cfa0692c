import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelopeFromJson, isBlindToken, isMatchKeyId, SelectorKind } from '#contracts';
import { asJson, BLIND_FIXTURE, validFinancialLeadEnvelope, validRecallEnvelope } from '#testing';
import {
  blindToken,
  blindTokensOf,
  ensureMatchingKeyFile,
  matchingKeyFrom,
  queryTokensOf,
  readMatchingKeyFile,
} from './matching-key.js';

/** The fixture key: 32 bytes of 7, the key the contract fixtures' tokens were made with. */
const KEY = matchingKeyFrom('07'.repeat(32), 'test');
const OTHER = matchingKeyFrom('08'.repeat(32), 'test');

describe('the matching key', () => {
  it('is 64 hex digits and is named by a fingerprint that is not the key', () => {
    expect(KEY.id).toBe(BLIND_FIXTURE.keyId);
    expect(isMatchKeyId(KEY.id)).toBe(true);
    expect(OTHER.id).not.toBe(KEY.id);
    expect(KEY.id).not.toContain('0707');
    expect(matchingKeyFrom(`  ${'AB'.repeat(32)}\n`, 'f').secret).toEqual(new Uint8Array(32).fill(0xab));
    for (const bad of ['07'.repeat(31), '07'.repeat(33), `${'07'.repeat(31)}zz`, '', 'secret'])
      expect(() => matchingKeyFrom(bad, 'keys/match.key')).toThrow(
        'keys/match.key: a matching key is 64 hexadecimal digits (32 random bytes), nothing else',
      );
  });

  it('is made once, owner only, and never replaced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'msx-match-key-'));
    try {
      const file = join(dir, 'keys', 'match.key');
      const first = ensureMatchingKeyFile(file);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
      expect(ensureMatchingKeyFile(file)).toEqual(first);
      expect(readMatchingKeyFile(file)).toEqual(first);
      const second = ensureMatchingKeyFile(join(dir, 'other.key'));
      expect(second.id).not.toBe(first.id);
      writeFileSync(join(dir, 'bad.key'), 'not a key');
      expect(() => readMatchingKeyFile(join(dir, 'bad.key'))).toThrow(/bad\.key: a matching key is 64/);
      expect(() => readMatchingKeyFile(join(dir, 'absent.key'))).toThrow(
        /absent\.key: cannot read the matching key/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('blind tokens', () => {
  it('are keyed: the same selector under another key, or of another kind, is another token', () => {
    const iban = blindToken(KEY, SelectorKind.IBAN, 'IT60X0542811101000000123456');
    expect(iban).toBe(BLIND_FIXTURE.iban.token);
    expect(isBlindToken(iban)).toBe(true);
    expect(blindToken(OTHER, SelectorKind.IBAN, 'IT60X0542811101000000123456')).not.toBe(iban);
    expect(blindToken(KEY, SelectorKind.DOCUMENT_NUMBER, 'IT60X0542811101000000123456')).not.toBe(iban);
    expect(blindToken(KEY, SelectorKind.PHONE_NUMBER, '+218912345678')).toBe(BLIND_FIXTURE.phone.token);
  });

  it('are made of the selectors of intelligence, typed and in free text, each once, in the one spelling', () => {
    const json = validFinancialLeadEnvelope();
    json.financialLead!.narrative =
      'Also paid from IT60 X054 2811 1010 0000 0123 456 and by +218 91 234 5678.';
    const tokens = blindTokensOf(KEY, envelopeFromJson(asJson(json)));
    const ibans = json.financialLead!.accounts!.map((a) => a.iban.replaceAll(' ', ''));
    expect(tokens).toEqual(
      expect.arrayContaining([
        { kind: SelectorKind.PHONE_NUMBER, token: BLIND_FIXTURE.phone.token },
        ...ibans.map((v) => ({ kind: SelectorKind.IBAN, token: blindToken(KEY, SelectorKind.IBAN, v) })),
      ]),
    );
    expect(new Set(tokens.map((t) => t.token)).size).toBe(tokens.length);
    expect([...tokens].sort((a, b) => (a.token < b.token ? -1 : 1))).toEqual(tokens);
    // Nothing of the values travels in a token.
    for (const t of tokens) for (const v of ibans) expect(t.token).not.toContain(v.slice(4, 10));
  });

  it('are none for control messages', () => {
    expect(blindTokensOf(KEY, envelopeFromJson(asJson(validRecallEnvelope())))).toEqual([]);
  });

  it('for a query, are the tokens of the values as indexed, whatever their spelling', () => {
    expect(
      queryTokensOf(KEY, [
        { kind: 'iban', value: 'it60 x054 2811 1010 0000 0123 456' },
        { kind: 'phone', value: '00218 91-234-5678' },
      ]),
    ).toEqual([
      { kind: SelectorKind.IBAN, token: BLIND_FIXTURE.iban.token },
      { kind: SelectorKind.PHONE_NUMBER, token: BLIND_FIXTURE.phone.token },
    ]);
    expect(() => queryTokensOf(KEY, [{ kind: 'iban', value: 'IT60X0542811101000000123457' }])).toThrow(
      'selectors[0]: not a valid iban',
    );
    expect(() => queryTokensOf(KEY, [{ kind: 'vessel' as 'iban', value: 'IT:ALBATROS' }])).toThrow(
      'selectors[0]: not a valid vessel (kinds: imo, mmsi, iban, phone, document, url)',
    );
  });
});
