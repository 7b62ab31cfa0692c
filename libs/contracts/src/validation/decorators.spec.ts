import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { validateSync } from 'class-validator';
import { TlpSchema } from '../gen/msx/v1/common_pb.js';
import {
  IsBic,
  IsCountryCode,
  IsCurrencyCode,
  IsDecimalAmount,
  IsE164,
  IsHttpUrl,
  IsIban,
  IsImoNumber,
  IsLanguageCode,
  IsMmsi,
  IsNodeId,
  IsNotEuMemberState,
  IsOfficerId,
  IsProtoEnum,
  IsRfc3339,
  IsSha256Hex,
  IsUuid,
  protoEnumNames,
} from './decorators.js';

/** A list field with one element rule, the rule name it must report, and a good and a bad element. */
const CASES = [
  ['imoCheckDigit', IsImoNumber, '9074729', '9074728'],
  ['mmsi', IsMmsi, '247123456', '112345678'],
  ['ibanMod97', IsIban, 'DE89370400440532013000', 'DE89370400440532013001'],
  ['bic', IsBic, 'DEUTDEFF500', 'DEUTXXFF'],
  ['iso3166Alpha2', IsCountryCode, 'LY', 'XX'],
  ['iso4217', IsCurrencyCode, 'EUR', 'EUX'],
  ['e164', IsE164, '+218912345678', '0912345678'],
  ['httpUrl', IsHttpUrl, 'https://t.me/x', 'javascript:alert(1)'],
  ['decimalAmount', IsDecimalAmount, '2500.00', '-5'],
  ['nodeId', IsNodeId, 'cp-it', 'CP-IT'],
  ['uuid', IsUuid, '01976342-9f40-7d42-9f0a-64fa368f37ee', 'not-a-uuid'],
  ['sha256Hex', IsSha256Hex, 'a'.repeat(64), 'a'.repeat(63)],
  ['iso639_1', IsLanguageCode, 'ar', 'xx'],
  ['officerId', IsOfficerId, 'emlo-ne.officer-17', 'two words'],
  ['notEuMemberState', IsNotEuMemberState, 'TN', 'IT'],
  ['rfc3339', IsRfc3339, '2025-06-12T08:30:00Z', '2025-06-12'],
] as const;

describe('field decorators', () => {
  it.each(CASES)(
    '%s checks each element of a list and reports its rule name',
    (rule, decorator, good, bad) => {
      class Holder {
        @decorator({ each: true }) values: string[] = [];
        @decorator() single = '';
      }
      const ok = Object.assign(new Holder(), { values: [good, good], single: good });
      const broken = Object.assign(new Holder(), { values: [good, bad], single: bad });

      expect(validateSync(ok)).toEqual([]);
      const errors = validateSync(broken);
      expect(errors.map((e) => [e.property, Object.keys(e.constraints ?? {})])).toEqual([
        ['values', [rule]],
        ['single', [rule]],
      ]);
    },
  );

  it.each(CASES)('%s tells the officer what the field must be', (rule, decorator, _good, bad) => {
    class Holder {
      @decorator({ each: true }) values: string[] = [bad];
      @decorator() single = bad;
    }
    const messages = validateSync(new Holder()).map((e) => e.constraints?.[rule] ?? '');
    expect(messages).toEqual([
      expect.stringMatching(/^each value in values must \S+ \S+/),
      expect.any(String),
    ]);
    expect(messages[1]).toBe(messages[0].replace('each value in values', 'single'));
  });

  it('names the field and the expectation in the default message', () => {
    class Report {
      @IsImoNumber() imoNumber = '9074728';
    }
    const [error] = validateSync(new Report());
    expect(error?.constraints).toEqual({
      imoCheckDigit: 'imoNumber must be a 7-digit IMO number whose check digit matches',
    });
  });
});

describe('IsProtoEnum', () => {
  it('derives the JSON names from the generated schema, without the unspecified value', () => {
    expect(protoEnumNames(TlpSchema)).toEqual([
      'TLP_CLEAR',
      'TLP_GREEN',
      'TLP_AMBER',
      'TLP_AMBER_STRICT',
      'TLP_RED',
    ]);
  });

  it.each([['TLP_UNSPECIFIED'], ['tlp_red'], [5], ['RED']])('refuses %j', (tlp) => {
    class Holder {
      @IsProtoEnum(TlpSchema) tlp: unknown = tlp;
    }
    expect(validateSync(new Holder()).map((e) => Object.keys(e.constraints ?? {}))).toEqual([['protoEnum']]);
  });

  it('works on lists', () => {
    class Holder {
      @IsProtoEnum(TlpSchema, { each: true }) levels = ['TLP_RED', 'TLP_GREEN'];
    }
    expect(validateSync(new Holder())).toEqual([]);
  });
});
