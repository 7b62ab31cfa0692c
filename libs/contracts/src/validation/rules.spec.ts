import { describe, expect, it } from '@jest/globals';
import {
  hasNoControlCharacters,
  isBic,
  isCountryCode,
  isCurrencyCode,
  isDecimalAmount,
  isDocumentNumber,
  isE164,
  isEuMemberState,
  isHttpUrl,
  isIban,
  isImoNumber,
  isLanguageCode,
  isMmsi,
  isNodeBoundOfficerId,
  isNodeId,
  isOfficerId,
  isOfficerOfNode,
  isRfc3339Timestamp,
  isSha256Hex,
  isBlindToken,
  isMatchKeyId,
  isUuid,
  timestampMillis,
} from './rules.js';
import { EU_MEMBER_STATES, IBAN_LENGTHS } from './reference-data.js';

/** Runs one predicate over tables of values it must accept and values it must refuse. */
function table(
  name: string,
  predicate: (value: unknown) => boolean,
  valid: unknown[],
  invalid: unknown[],
): void {
  describe(name, () => {
    it.each(valid.map((v) => [v]))('accepts %j', (value) => expect(predicate(value)).toBe(true));
    it.each(invalid.map((v) => [v]))('refuses %j', (value) => expect(predicate(value)).toBe(false));
  });
}

table(
  'isImoNumber',
  isImoNumber,
  // 9074729 (the proto's example), Emma Maersk, Ever Given, a 1980s ferry
  ['9074729', '9321483', '9811000', '8814275'],
  [
    '9074728',
    '9321484',
    '907472',
    '90747290',
    '11000030',
    'IMO9074729',
    '0000000',
    ' 9074729',
    9074729,
    null,
    undefined,
  ],
);

table(
  'isMmsi',
  isMmsi,
  // Italy (247), Malta (256), Comoros (620), Libya (642), Türkiye (271)
  ['247123456', '256000123', '620999123', '642123456', '271000835'],
  [
    '002470001',
    '024712345',
    '111247123',
    '970123456',
    '992471234',
    '81234567',
    '2471234567',
    '24712345a',
    247123456,
  ],
);

table(
  'isIban',
  isIban,
  [
    'DE89370400440532013000',
    'IT60X0542811101000000123456',
    'FR1420041010050500013M02606',
    'ES9121000418450200051332',
    'NL91ABNA0417164300',
    'BE68539007547034',
    'MT84MALT011000012345MTLCAST001S',
    'GR1601101250000000012300695',
    'AT611904300234573201',
    'HR1210010051863000160',
    'SI56263300012039086',
    'NO9386011117947',
    'CH9300762011623852957',
    'TR330006100519786457841326',
    'AL47212110090000000235698741',
    'RS35260005601001611379',
    'ME25505000012345678951',
    'BA391290079401028494',
    'MK07250120000058984',
    'XK051212012345678906',
    'LY83002048000020100120361',
    'TN5910006035183598478831',
    'EG380019000500000000263180002',
    'IQ98NBIQ850123456789012',
    // the rest of the registry: Pakistan, Saudi Arabia, Brazil
    'PK36SCBL0000001123456702',
    'SA0380000000608010167519',
    'BR1800360305000010009795493C1',
  ],
  [
    'DE89370400440532013001', // one digit changed
    'IT60X0542811101000000123465', // two digits swapped
    'GB82WEST12345698765433',
    'DE89 3704 0044 0532 0130 00', // spaces
    'de89370400440532013000', // lower case
    'DE8937040044053201300', // too short for DE
    'DE893704004405320130000', // too long for DE
    'US64SVBKUS6S3300958879', // no IBAN in the US
    'DE00370400440532013000',
    // each of these three passes mod-97 and has the length of a Dutch IBAN, but is not in electronic form
    'NL0SABNA0417164300', // a letter among the check digits
    'NL03ABNA041716430n', // a lower-case letter at the end
    'NLAB12ABNA04171645', // letters where the check digits belong
    '',
    12345,
  ],
);

describe('IBAN_LENGTHS', () => {
  it('covers every EU member state', () => {
    for (const state of EU_MEMBER_STATES) expect(IBAN_LENGTHS[state]).toBeGreaterThanOrEqual(15);
  });

  it('covers the EEA states and the Western Balkans', () => {
    for (const country of ['IS', 'LI', 'NO', 'AL', 'BA', 'ME', 'MK', 'RS', 'XK'])
      expect(IBAN_LENGTHS[country]).toBeDefined();
  });
});

table(
  'isBic',
  isBic,
  ['DEUTDEFF', 'DEUTDEFF500', 'UNCRITMM', 'MALTMTMT', 'BCITITMMXXX', 'RBKOXKPR'],
  [
    'DEUTDEF',
    'DEUTDEFF50',
    'DEUTDEFF5000',
    'deutdeff',
    'DEU1DEFF',
    'DEUTXXFF',
    'DEUTQQFF',
    'DEUT DEFF',
    'XDEUTDEFF', // nine characters, a valid BIC after the first
    '',
    8,
  ],
);

table(
  'isCountryCode',
  isCountryCode,
  ['IT', 'LY', 'NE', 'TN', 'RS', 'XK', 'SS', 'GR'],
  ['it', 'EL', 'UK', 'XX', 'EU', 'ITA', 'I', '', 39],
);

table(
  'isEuMemberState',
  isEuMemberState,
  ['IT', 'MT', 'GR', 'HR', 'SE', 'CY'],
  ['EL', 'GB', 'NO', 'CH', 'RS', 'LY', 'it', ''],
);

describe('EU_MEMBER_STATES', () => {
  it('holds the 27 member states', () => expect(EU_MEMBER_STATES.size).toBe(27));
});

table(
  'isCurrencyCode',
  isCurrencyCode,
  // ZWG (Zimbabwe Gold, 2024) and XCG (Caribbean guilder, 2025) are newer than class-validator's list
  ['EUR', 'USD', 'LYD', 'TND', 'TRY', 'RSD', 'ZWG', 'XCG'],
  ['eur', 'EURO', 'XXX', 'XTS', 'ABC', '€', '', 978],
);

table(
  'isE164',
  isE164,
  ['+218912345678', '+393331234567', '+35699123456', '+12', '+123456789012345'],
  [
    '218912345678',
    '+0218912345678',
    '+1',
    '+1234567890123456',
    '+218 91 234 5678',
    '+218-91-2345678',
    '00218912345678',
    'tel:+393331234567',
    '',
  ],
);

table(
  'isHttpUrl',
  isHttpUrl,
  [
    'https://www.facebook.com/groups/801234567890123/posts/912345678901234/',
    'http://t.me/s/crossings_channel',
    'https://203.0.113.7:8443/offers?id=17#top',
    'HTTPS://EXAMPLE.ORG/',
    'https://xn--mgbh0fb.example/عرض',
    // an @ in the path is a profile, not credentials
    'https://www.tiktok.com/@crossings/video/7301234567890123456',
    `https://t.me/s/${'a'.repeat(2048 - 'https://t.me/s/'.length)}`,
  ],
  [
    'javascript:alert(1)',
    'ftp://files.example.org/list.txt',
    'data:text/html;base64,PHNjcmlwdD4=',
    'https://user:secret@example.org/',
    'https://user@example.org/',
    'https:example.org/offers',
    // credentials behind a scheme without `//`, which WHATWG parsers still read as user:password@host
    'http:officer:secret@smuggler.example/?next=http://example.org',
    '//example.org/',
    'https://',
    'https://exa mple.org/',
    'https://example.org\\@evil.example/',
    `https://example.org/${'a'.repeat(2048)}`,
    `https://t.me/s/${'a'.repeat(2049 - 'https://t.me/s/'.length)}`,
    'https://example.org/\u0000',
    '',
    null,
  ],
);

table(
  'isDecimalAmount',
  isDecimalAmount,
  ['0', '2500', '2500.00', '0.5', '999999999999.9999', '3000.1'],
  ['-1', '+1', '01', '1.', '.5', '1.23456', '1000000000000', '1,5', '1e3', ' 1', '', 2500],
);

table(
  'isNodeId',
  isNodeId,
  ['cp-it', 'jot-mare', 'emlo-ne', 'afic-partner-sn', 'eurostat', 'a', `a${'-b'.repeat(31)}1`],
  ['CP-IT', 'cp_it', 'cp--it', '-cp', 'cp-', 'cp.it', 'cp it', '', 'a'.repeat(65), 7],
);

table(
  'isUuid',
  isUuid,
  [
    '01976342-9f40-7d42-9f0a-64fa368f37ee', // v7
    '0197635E-1680-7908-9085-FF666030C64C', // v7, upper case
    'f47ac10b-58cc-4372-a567-0e02b2c3d479', // v4
    'c232ab00-9414-11ec-b3c8-9f6bdeced846', // v1
  ],
  [
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '01976342-9f40-7d42-9f0A-64fa368f37ee', // mixed case
    '01976342-9f40-7d42-cf0a-64fa368f37ee', // wrong variant
    '01976342-9f40-0d42-9f0a-64fa368f37ee', // version 0
    '019763429f407d429f0a64fa368f37ee',
    '{01976342-9f40-7d42-9f0a-64fa368f37ee}',
    // the URN form and a trailing digit, in both cases: ids are compared as text
    'urn:uuid:01976342-9f40-7d42-9f0a-64fa368f37ee',
    'urn:uuid:0197635E-1680-7908-9085-FF666030C64C',
    '01976342-9f40-7d42-9f0a-64fa368f37ee0',
    '0197635E-1680-7908-9085-FF666030C64C0',
    '',
  ],
);

table(
  'isSha256Hex',
  isSha256Hex,
  [
    '35a386984732fb6bd3e3918e34f1450fc6230ed43f3590a55caf37da1e85af97',
    'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855',
  ],
  [
    '35a386984732fb6bd3e3918e34f1450fc6230ed43f3590a55caf37da1e85af9',
    '35A386984732fb6bd3e3918e34f1450fc6230ed43f3590a55caf37da1e85af97',
    'g'.repeat(64),
    // 65 digits and a prefixed form, in both cases
    `${'a'.repeat(64)}0`,
    `${'A'.repeat(64)}0`,
    `sha256:${'a'.repeat(64)}`,
    `SHA256:${'A'.repeat(64)}`,
    '',
  ],
);

table(
  'isBlindToken',
  isBlindToken,
  [
    'wen3f8d4dv_vS52CCmQhTDaSMhKNGyoEBm1EKrCNhus',
    '06yDWKMTT5u3xBf5MFDUU_SZiMETNUBJNgqBcCGaLyc',
    `${'A'.repeat(42)}w`,
  ],
  [
    // base64 with + and /, padding, one character short or long, and a last character with padding bits set
    '06yDWKMTT5u3xBf5MFDUU/SZiMETNUBJNgqBcCGaLyc',
    '06yDWKMTT5u3xBf5MFDUU_SZiMETNUBJNgqBcCGaLyc=',
    '06yDWKMTT5u3xBf5MFDUU_SZiMETNUBJNgqBcCGaLy',
    '06yDWKMTT5u3xBf5MFDUU_SZiMETNUBJNgqBcCGaLycA',
    '06yDWKMTT5u3xBf5MFDUU_SZiMETNUBJNgqBcCGaLyd',
    '35a386984732fb6bd3e3918e34f1450fc6230ed43f3590a55caf37da1e85af97',
    '',
  ],
);

table(
  'isMatchKeyId',
  isMatchKeyId,
  ['mk-bd47d91f9d303969', 'mk-0000000000000000'],
  [
    'mk-BD47D91F9D303969',
    'mk-bd47d91f9d30396',
    'mk-bd47d91f9d3039690',
    'bd47d91f9d303969',
    'mk-bd47d91f9d30396g',
    '',
  ],
);

table(
  'isLanguageCode',
  isLanguageCode,
  ['ar', 'ti', 'en', 'fr', 'ps', 'ku'],
  ['AR', 'ara', 'xx', 'zz', 'a', '', 'ar-LY'],
);

table(
  'isOfficerId',
  isOfficerId,
  [
    'emlo-ne.officer-17',
    'cp-it.analyst-5',
    'router',
    'Ufficiale_42',
    'agent@cp-gr',
    '7',
    'É'.repeat(64),
    // 64 code points, 128 UTF-16 units: the bound counts characters as a reader sees them
    '𝐀'.repeat(64),
  ],
  [
    '',
    'emlo ne',
    'emlo-ne\tofficer',
    'emlo\u0000ne',
    'zero\u200Bwidth',
    'bidi\u202Eevil',
    'a'.repeat(65),
    '𝐀'.repeat(65),
    17,
  ],
);

const BOUND_OFFICERS = ['emlo-ne.officer-17', 'cp-it.analyst-5', 'cp-gr.fin.analyst_04', 'jot-mare.9'];

table(
  'isNodeBoundOfficerId',
  isNodeBoundOfficerId,
  [...BOUND_OFFICERS, `a.${'b'.repeat(62)}`],
  [
    'msx-router',
    'emlo-ne.',
    '.officer-1',
    'emlo-ne.Officer-1',
    'emlo-ne.-officer',
    'emlo-ne..officer',
    'EMLO-NE.officer-1',
    'emlo--ne.officer-1',
    'emlo-ne.officer 1',
    'emlo-ne.officer-1\n',
    // Cyrillic "о" (U+043E) in the node and in the name
    'eml\u043E-ne.officer-1',
    'emlo-ne.\u043Efficer-1',
    'emlo-ne.officer\u200B-1',
    `a.${'b'.repeat(63)}`,
    17,
    undefined,
  ],
);

describe('isOfficerOfNode', () => {
  it('accepts an officer of the given node', () => {
    expect(isOfficerOfNode('emlo-ne.officer-17', 'emlo-ne')).toBe(true);
  });

  it.each([
    ['cp-it.officer-9', 'emlo-ne'],
    ['edps.auditor-1', 'emlo-ne'],
    ['msx-router', 'msx-router'],
    ['emlo-ne-x.officer-1', 'emlo-ne'],
    ['emlo.officer-1', 'emlo-ne'],
    ['eml\u043E-ne.officer-1', 'emlo-ne'],
    ['emlo-ne.officer-1', 'eml\u043E-ne'],
  ])('refuses %j for node %j', (officer, node) => {
    expect(isOfficerOfNode(officer, node)).toBe(false);
  });

  it("binds only ids the contract's officerId rule also accepts", () => {
    for (const id of [...BOUND_OFFICERS, `a.${'b'.repeat(62)}`]) expect(isOfficerId(id)).toBe(true);
  });
});

table(
  'isDocumentNumber',
  isDocumentNumber,
  ['YA1234567', 'CA00000AA', '12/345-B', 'x', 'A'.repeat(32)],
  ['', ' YA1', 'YA 1234', '-12', 'a'.repeat(33)],
);

describe('hasNoControlCharacters', () => {
  it('accepts plain and non-Latin text', () => {
    expect(hasNoControlCharacters('Migrants hidden in refrigerated lorries')).toBe(true);
    expect(hasNoControlCharacters('رحلة إلى إيطاليا')).toBe(true);
  });

  it('refuses control characters in single-line text, line breaks included', () => {
    expect(hasNoControlCharacters('a\nb')).toBe(false);
    expect(hasNoControlCharacters('a\u0007b')).toBe(false);
    expect(hasNoControlCharacters('a\u009Bb')).toBe(false);
  });

  it('allows tab and line breaks, nothing else, in multi-line text', () => {
    expect(hasNoControlCharacters('line 1\r\n\tline 2', true)).toBe(true);
    expect(hasNoControlCharacters('a\u001Bb', true)).toBe(false);
  });

  it('refuses unpaired surrogates, which have no UTF-8 form', () => {
    expect(hasNoControlCharacters('a\uD800b')).toBe(false);
    expect(hasNoControlCharacters('a😀b')).toBe(true);
  });
});

table(
  'isRfc3339Timestamp',
  isRfc3339Timestamp,
  [
    '2025-06-12T08:30:00Z',
    '2025-06-12T08:30:00.123Z',
    '2025-06-12T08:30:00.123456789Z',
    '2025-06-12T10:30:00+02:00',
    // the widest offsets a time zone can be written with
    '2025-06-12T08:30:00+14:59',
    '2025-06-12T08:30:00-23:00',
    '2024-02-29T00:00:00Z',
    '2000-02-29T00:00:00Z',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
  ],
  [
    '2025-06-12',
    '2025-06-12T08:30:00',
    '2025-06-12 08:30:00Z',
    '2025-06-12t08:30:00z',
    '2025-02-29T00:00:00Z',
    // 2100 is divisible by 4 but not a leap year
    '2100-02-29T00:00:00Z',
    '2025-04-31T00:00:00Z',
    // a leap year lengthens February only
    '2024-04-31T00:00:00Z',
    '2025-13-01T00:00:00Z',
    'x2025-06-12T08:30:00Z',
    '2025-06-12T08:30:00Zx',
    '2025-06-12T24:00:00Z',
    '2025-06-12T08:60:00Z',
    '2025-06-12T08:30:60Z',
    '2025-06-12T08:30:00.1234567890Z',
    '2025-06-12T08:30:00+24:00',
    '0001-01-01T00:00:00+01:00',
    '9999-12-31T23:59:59-00:01',
    '',
    1749717000000,
  ],
);

describe('timestampMillis', () => {
  it('honours the offset', () => {
    expect(timestampMillis('2025-06-12T10:30:00+02:00')).toBe(Date.parse('2025-06-12T08:30:00Z'));
  });

  it('is undefined for an invalid timestamp', () => {
    expect(timestampMillis('2025-02-30T00:00:00Z')).toBeUndefined();
  });
});

describe('a JSON list holding a valid value', () => {
  // A sender that wraps a value in a list has not sent the value: `["IT"]` is no country code.
  it.each<[string, (value: unknown) => boolean, string]>([
    ['isBic', isBic, 'DEUTDEFF'],
    ['isCountryCode', isCountryCode, 'GR'],
    ['isCurrencyCode', isCurrencyCode, 'EUR'],
    ['isE164', isE164, '+393331234567'],
    ['isUuid', isUuid, '0193a1b2-0000-7000-8000-000000000001'],
    ['isSha256Hex', isSha256Hex, 'a'.repeat(64)],
    ['isLanguageCode', isLanguageCode, 'ar'],
    ['isDocumentNumber', isDocumentNumber, 'YA1234567'],
    ['hasNoControlCharacters', (v) => hasNoControlCharacters(v), 'plain text'],
    ['isRfc3339Timestamp', isRfc3339Timestamp, '2025-06-12T08:30:00Z'],
    ['isImoNumber', isImoNumber, '9074729'],
    ['isIban', isIban, 'NL91ABNA0417164300'],
  ])('is refused by %s', (_name, predicate, value) => {
    expect(predicate(value)).toBe(true);
    expect(predicate([value])).toBe(false);
  });

  it('and any other value that is not text is no text without control characters', () => {
    expect(hasNoControlCharacters(7)).toBe(false);
    expect(hasNoControlCharacters(null, true)).toBe(false);
  });
});
