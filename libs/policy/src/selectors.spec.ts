import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import {
  BankAccountSchema,
  CrossCheckRequestSchema,
  DebriefingReportSchema,
  DebriefingSelectorsSchema,
  FinancialLeadSchema,
  InternetContentReferralSchema,
  ModusOperandiReportSchema,
  RouteReportSchema,
  SelectorKind,
  SelectorSchema,
  sha256Hex,
  SuspectVesselReportSchema,
  VesselAlertSchema,
} from '#contracts';
import { envelope } from './policy-fixtures.js';
import {
  MAX_SELECTORS_PER_ITEM,
  normaliseSelector,
  normalisedSelectorsOf,
  selectorsInFreeText,
  selectorsOf,
} from './selectors.js';

const clear = (env: ReturnType<typeof envelope>) =>
  normalisedSelectorsOf(env).map((s) => `${s.kind}:${s.value}`);

const vesselReport = (over: { narrative?: string } = {}) =>
  envelope({
    payload: {
      case: 'suspectVesselReport',
      value: create(SuspectVesselReportSchema, {
        imoNumber: '9074729',
        mmsi: '620999123',
        name: 'NOUR AL HUDA',
        flag: 'KM',
        narrative: 'Sold in April to a company registered a week earlier.',
        ...over,
      }),
    },
  });

const modusOperandi = (narrative: string, indicators: string[] = []) =>
  envelope({
    payload: {
      case: 'modusOperandiReport',
      value: create(ModusOperandiReportSchema, { title: 'Mother ships', narrative, indicators }),
    },
  });

describe('selectorsOf: the selectors an item is recognised by', () => {
  it('takes IMO, MMSI and the vessel name with its flag from a suspect vessel report', () => {
    expect(clear(vesselReport())).toEqual(['imo:9074729', 'mmsi:620999123', 'vessel:KM:NOUR AL HUDA']);
  });

  it('takes IBANs from a financial lead and phone numbers, IBANs and IMO numbers from a debriefing', () => {
    const lead = envelope({
      payload: {
        case: 'financialLead',
        value: create(FinancialLeadSchema, {
          accounts: [
            create(BankAccountSchema, { iban: 'IT60X0542811101000000123456' }),
            create(BankAccountSchema, { iban: 'MT84MALT011000012345MTLCAST001S' }),
          ],
        }),
      },
    });
    expect(clear(lead)).toEqual(['iban:IT60X0542811101000000123456', 'iban:MT84MALT011000012345MTLCAST001S']);
    const debriefing = envelope({
      payload: {
        case: 'debriefingReport',
        value: create(DebriefingReportSchema, {
          selectors: create(DebriefingSelectorsSchema, {
            phoneNumbers: ['+218912345678'],
            ibans: ['IT60X0542811101000000123456'],
            vesselImoNumbers: ['9074729'],
            vesselNames: ['AL FAJR'],
          }),
        }),
      },
    });
    // A vessel name without its flag recognises nothing.
    expect(clear(debriefing)).toEqual([
      'iban:IT60X0542811101000000123456',
      'imo:9074729',
      'phone:+218912345678',
    ]);
  });

  it('takes the URL of an internet content referral, without scheme, www, fragment or trailing slash', () => {
    const referral = (url: string) =>
      envelope({
        payload: { case: 'internetContentReferral', value: create(InternetContentReferralSchema, { url }) },
      });
    const a = selectorsOf(referral('https://www.facebook.com/groups/801234567890123/posts/912345678901234/'));
    const b = selectorsOf(referral('http://FACEBOOK.com/groups/801234567890123/posts/912345678901234#top'));
    expect(a).toEqual(b);
    expect(clear(referral('https://t.me/s/crossings_zuwara?before=12'))).toEqual([
      'url:t.me/s/crossings_zuwara?before=12',
    ]);
  });

  it('takes the IMO and MMSI of a vessel alert', () => {
    const alert = envelope({
      payload: {
        case: 'vesselAlert',
        value: create(VesselAlertSchema, {
          imoNumber: '9074729',
          mmsi: '620999123',
          vesselName: 'NOUR AL HUDA',
        }),
      },
    });
    expect(clear(alert)).toEqual(['imo:9074729', 'mmsi:620999123']);
  });

  it('finds selectors written into free text, in the spellings officers use', () => {
    const env = modusOperandi(
      'The mother ship (IMO no. 9074729, MMSI: 620999123) is booked through +218 91-234 5678 and paid ' +
        'into IT60 X054 2811 1010 0000 0123 456 AND MORE; the captain travels on passport no. YB-204/417. ' +
        'Adverts at https://www.facebook.com/groups/801234567890123/.',
      ['call 00 218 91 234 5678 is not recognised without +'],
    );
    expect(clear(env)).toEqual([
      'document:YB204417',
      'iban:IT60X0542811101000000123456',
      'imo:9074729',
      'mmsi:620999123',
      'phone:+218912345678',
      'url:facebook.com/groups/801234567890123',
    ]);
  });

  it('reads the selectors of one free text on its own, in the order found, and none in plain prose', () => {
    expect(selectorsInFreeText('Booked via +218 91 234 5678, boat IMO 9074729.')).toEqual([
      { kind: 'phone', value: '+218912345678' },
      { kind: 'imo', value: '9074729' },
    ]);
    expect(selectorsInFreeText('Rubber dinghy from the Zuwara coast, 40 people')).toEqual([]);
  });

  it('gives the same selectors for the same values in typed fields and in a reworded narrative', () => {
    const typed = vesselReport({ narrative: 'Bought at scrapping price.' });
    const retold = vesselReport({ narrative: 'The buyer paid the scrapping price, IMO 9074729.' });
    expect(selectorsOf(retold)).toEqual(selectorsOf(typed));
  });

  it('takes no ordinary number, label without a number, invalid check digit or short phone for a selector', () => {
    const env = modusOperandi(
      'Document fraud rose by 40 %; 620999123 boats; IMO 9074728 has a wrong check digit; ' +
        'prices went +40 and +3 12; visa abuse in 2025; passport photos swapped.',
    );
    expect(clear(env)).toEqual([]);
  });

  it('spells a vessel name one way whatever its case, accents and punctuation', () => {
    expect(normaliseSelector('vessel', 'km:Nour al-Hudá')).toBe('KM:NOUR AL HUDA');
    expect(normaliseSelector('vessel', 'NOUR AL HUDA')).toBeUndefined();
    expect(normaliseSelector('vessel', 'XX:NOUR')).toBeUndefined();
  });

  it('reads no flag into a vessel name given without one, even a name that begins with a country code', () => {
    // "ALI" is no Albanian vessel "ALI": without `flag:` there is no flag to compare.
    expect(normaliseSelector('vessel', 'ALI')).toBeUndefined();
    expect(normaliseSelector('vessel', 'AL:ALI')).toBe('AL:ALI');
  });

  it('hashes each selector as SHA-256 of kind:value, so no selector is kept in clear', () => {
    const digests = selectorsOf(vesselReport());
    expect(digests).toEqual(
      ['imo:9074729', 'mmsi:620999123', 'vessel:KM:NOUR AL HUDA']
        .map((s) => sha256Hex(new TextEncoder().encode(s)))
        .sort(),
    );
    expect(digests.join()).not.toContain('9074729');
  });

  it('gives control messages, cross-checks and forwarded copies no selectors, and intelligence without any none', () => {
    const crossCheck = envelope({
      payload: {
        case: 'crossCheckRequest',
        value: create(CrossCheckRequestSchema, {
          selectors: [create(SelectorSchema, { kind: SelectorKind.PHONE_NUMBER, value: '+218912345678' })],
        }),
      },
    });
    expect(selectorsOf(crossCheck)).toEqual([]);
    expect(selectorsOf({ ...vesselReport(), consentRef: 'decision-1' })).toEqual([]);
    const plain = envelope({
      payload: {
        case: 'routeReport',
        value: create(RouteReportSchema, { narrative: 'Boats leave at night.' }),
      },
    });
    expect(selectorsOf(plain)).toEqual([]);
  });
});

describe('the selectors an item is indexed by', () => {
  it('are at most MAX_SELECTORS_PER_ITEM, the same subset for the same selectors whatever their order', () => {
    const phones = Array.from({ length: 200 }, (_, i) => `+3933312${String(i).padStart(5, '0')}`);
    const item = (list: string[]) =>
      envelope({
        payload: {
          case: 'modusOperandiReport',
          value: create(ModusOperandiReportSchema, {
            title: 'Contacts named by the passengers',
            narrative: `The passengers named these contacts: ${list.join(', ')}.`,
          }),
        },
      });
    const a = selectorsOf(item(phones));
    expect(a).toHaveLength(MAX_SELECTORS_PER_ITEM);
    expect(selectorsOf(item([...phones].reverse()))).toEqual(a);
    expect(normalisedSelectorsOf(item(phones)).length).toBe(200);
  });
});

describe('the one spelling each kind of selector is compared in', () => {
  it.each<[Parameters<typeof normaliseSelector>[0], string, string | undefined]>([
    ['imo', 'IMO 9074729', '9074729'],
    ['imo', 'imo9074729', '9074729'],
    ['imo', '907 4729', '9074729'],
    ['imo', '9074728', undefined],
    ['mmsi', '620 999 123', '620999123'],
    ['mmsi', '62099912', undefined],
    ['iban', 'it60 x054 2811 1010 0000 0123 456', 'IT60X0542811101000000123456'],
    ['iban', 'IT61X0542811101000000123456', undefined],
    ['phone', '00218 91 234 5678', '+218912345678'],
    ['phone', '+218 (91) 234-56.78', '+218912345678'],
    ['phone', '218912345678', undefined],
    ['document', 'yb-204/417', 'YB204417'],
    ['document', ' YB-204417 ', 'YB204417'],
    ['url', 'https://www.T.me/s/crossings_zuwara/?before=12#top', 't.me/s/crossings_zuwara?before=12'],
    ['url', 'http://forum.example.org:8080/boats', 'forum.example.org:8080/boats'],
    ['url', 'ftp://t.me/s/crossings_zuwara', undefined],
    ['vessel', 'KM : Nour  Al Huda.', 'KM:NOUR AL HUDA'],
    ['vessel', ':NOUR AL HUDA', undefined],
    ['vessel', 'KM:', undefined],
    ['vessel', 'KM: -- ', undefined],
  ])('reads %s %j as %j', (kind, raw, value) => {
    expect(normaliseSelector(kind, raw)).toBe(value);
  });

  it('recognises a vessel reported by its MMSI alone', () => {
    const mmsiOnly = envelope({
      payload: {
        case: 'suspectVesselReport',
        value: create(SuspectVesselReportSchema, {
          mmsi: '620999123',
          narrative: 'No name painted on the hull.',
        }),
      },
    });
    expect(clear(mmsiOnly)).toEqual(['mmsi:620999123']);
  });

  it('counts a phone number in free text from seven digits on, and a document number from five characters with a digit', () => {
    expect(clear(modusOperandi('Call +1234567 or +123456.'))).toEqual(['phone:+1234567']);
    expect(clear(modusOperandi('Passport no. AB123, visa AB12, document ABCDEF.'))).toEqual([
      'document:AB123',
    ]);
  });

  it('reads selectors in every free-text field, the list of indicators included', () => {
    const env = modusOperandi('Boats leave at night.', [
      'broker on +218 91 234 5678',
      'pays into MT84MALT011000012345MTLCAST001S',
    ]);
    expect(clear(env)).toEqual(['iban:MT84MALT011000012345MTLCAST001S', 'phone:+218912345678']);
  });
});
