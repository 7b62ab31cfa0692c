import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import {
  AnalysisProductSchema,
  BankAccountSchema,
  DebriefingReportSchema,
  DebriefingSelectorsSchema,
  DocumentFraudReportSchema,
  FinancialLeadSchema,
  InternetContentReferralSchema,
  ModusOperandiReportSchema,
  RouteReportSchema,
} from '#contracts';
import { envelope } from './policy-fixtures.js';
import { normaliseSelector, normalisedSelectorsOf } from './selectors.js';

/**
 * How the exchange spells a selector, in typed fields and in free text: what decides whether a reworded
 * copy of restricted intelligence is recognised (too loose and unrelated items collide; too strict and a
 * laundered copy goes through).
 */
const clear = (env: ReturnType<typeof envelope>) =>
  normalisedSelectorsOf(env).map((s) => `${s.kind}:${s.value}`);

const inText = (narrative: string) =>
  clear(
    envelope({
      payload: {
        case: 'modusOperandiReport',
        value: create(ModusOperandiReportSchema, { title: 'Mother ships', narrative }),
      },
    }),
  );

const IBAN = 'DE89370400440532013000';

describe('typed fields are read whatever their spelling; free text only in unambiguous spellings', () => {
  it('takes an IBAN typed in lower case with spaces from a financial lead', () => {
    const lead = envelope({
      payload: {
        case: 'financialLead',
        value: create(FinancialLeadSchema, {
          accounts: [create(BankAccountSchema, { iban: 'de89 3704 0044 0532 0130 00' })],
        }),
      },
    });
    expect(clear(lead)).toEqual([`iban:${IBAN}`]);
  });

  it("takes a debriefing's phone numbers written with 00 and its IBANs in lower case", () => {
    const debriefing = envelope({
      payload: {
        case: 'debriefingReport',
        value: create(DebriefingReportSchema, {
          hotspot: 'Lampedusa',
          selectors: create(DebriefingSelectorsSchema, {
            phoneNumbers: ['0039 333 123 4567'],
            ibans: ['de89370400440532013000'],
          }),
        }),
      },
    });
    expect(clear(debriefing)).toEqual([`iban:${IBAN}`, 'phone:+393331234567']);
  });

  it('reads a debriefing without selectors, and its narrative still counts', () => {
    const debriefing = envelope({
      payload: {
        case: 'debriefingReport',
        value: create(DebriefingReportSchema, {
          hotspot: 'Lampedusa',
          narrative: 'The organiser answered on +39 333 123 4567.',
        }),
      },
    });
    expect((debriefing.payload.value as { selectors?: unknown }).selectors).toBeUndefined();
    expect(clear(debriefing)).toEqual(['phone:+393331234567']);
  });

  it('takes a typed URL exactly as given, while free text loses the punctuation of its sentence', () => {
    const referral = envelope({
      payload: {
        case: 'internetContentReferral',
        value: create(InternetContentReferralSchema, {
          url: 'https://example.org/offers/(crossing)',
          platform: 'web',
        }),
      },
    });
    expect(clear(referral)).toContain('url:example.org/offers/(crossing)');
    expect(inText('Advertised at https://example.org/offers/crossing).')).toEqual([
      'url:example.org/offers/crossing',
    ]);
  });

  it('reads every intelligence type: route reports, document fraud reports and analysis products too', () => {
    const route = envelope({
      payload: {
        case: 'routeReport',
        value: create(RouteReportSchema, { departureArea: 'Zuwara, organiser on +218 91 234 5678' }),
      },
    });
    const fraud = envelope({
      payload: {
        case: 'documentFraudReport',
        value: create(DocumentFraudReportSchema, { features: ['passport no. YA1234567, photo substituted'] }),
      },
    });
    const product = envelope({
      payload: {
        case: 'analysisProduct',
        value: create(AnalysisProductSchema, { title: 'Q3', summary: `Payments went to ${IBAN}.` }),
      },
    });
    expect(clear(route)).toEqual(['phone:+218912345678']);
    expect(clear(fraud)).toEqual(['document:YA1234567']);
    expect(clear(product)).toEqual([`iban:${IBAN}`]);
  });
});

describe('the spelling of one selector', () => {
  it('drops only a leading IMO label', () => {
    expect(normaliseSelector('imo', ' imo 9074729')).toBe('9074729');
    expect(normaliseSelector('imo', '9074IMO729')).toBeUndefined();
    expect(normaliseSelector('imo', 'NOIMO 9074729')).toBeUndefined();
  });

  it('refuses a document number with characters no document number has', () => {
    expect(normaliseSelector('document', 'YA12!4567')).toBeUndefined();
    expect(normaliseSelector('document', 'ya-123/4567')).toBe('YA1234567');
  });

  it('drops only a leading www. and every trailing slash of a URL', () => {
    expect(normaliseSelector('url', 'https://www.example.org/a//')).toBe('example.org/a');
    expect(normaliseSelector('url', 'https://news.www.example.org/a')).toBe('news.www.example.org/a');
  });
});

describe('selectors in free text', () => {
  it('finds an IMO number after its label however the label is written', () => {
    for (const text of [
      'IMO9074729',
      'IMO 9074729',
      'IMO no 9074729',
      'IMO no. 9074729',
      'IMO nr.9074729',
      'IMO: no. 9074729',
      'IMOnumber 9074729',
      'IMO number:  9074729',
    ])
      expect({ text, found: inText(`Seen off Zuwara: ${text}.`) }).toEqual({ text, found: ['imo:9074729'] });
  });

  it('finds a document number after its label however the label is written', () => {
    for (const text of [
      'passport YA1234567',
      'passport:YA1234567',
      'passport no YA1234567',
      'passport no. YA1234567',
      'passport: no. YA1234567',
      'passportno.YA1234567',
      'passport number:  YA1234567',
    ])
      expect({ text, found: inText(`Carried ${text} issued in Dakar.`) }).toEqual({
        text,
        found: ['document:YA1234567'],
      });
  });

  it('finds plain http URLs as well as https', () => {
    expect(inText('Offers at http://example.org/boats daily.')).toEqual(['url:example.org/boats']);
  });

  it('finds an IBAN right after a code of two letters and a digit', () => {
    expect(inText(`Paid at desk AB1 ${IBAN} on arrival.`)).toEqual([`iban:${IBAN}`]);
  });
});
