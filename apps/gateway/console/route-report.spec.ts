import { describe, expect, it } from '@jest/globals';
import { ContractViolationError, envelopeFromJson, type Violation } from '#contracts';
import { completeEnvelopeJson } from '../src/submit-message/submit-message.handler.js';
import {
  emptyRouteReport,
  envelopeOf,
  formFields,
  listOf,
  uuidv7,
  type RouteReportDraft,
} from './route-report.js';
import { fieldOf } from './violations.js';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const ID = '019a9f3c-1d00-7000-8000-000000000001';

/** The README's route report ("Try it"), as an officer types it into the form. */
const typed = (): RouteReportDraft => ({
  ...emptyRouteReport(),
  recipients: 'cp-it, jot-mare',
  sourceReliability: 'SOURCE_RELIABILITY_B',
  informationAccuracy: 'INFORMATION_ACCURACY_2',
  purpose: 'Prevention and combating of migrant smuggling',
  segments: [
    {
      fromCountry: 'NE',
      fromPlace: 'Agadez',
      toCountry: 'LY',
      toPlace: 'Sabha',
      mode: 'TRANSPORT_MODE_LAND',
      conveyance: 'pick-up trucks',
    },
    {
      fromCountry: 'ly',
      fromPlace: 'Zuwara',
      toCountry: 'IT',
      toPlace: 'Lampedusa',
      mode: 'TRANSPORT_MODE_SEA',
      conveyance: 'rubber dinghy',
    },
  ],
  departureArea: 'Zuwara coast',
  departureCountry: 'LY',
  peopleCarried: '85',
  priceAmount: '3000.00',
  priceCurrency: 'usd',
  nationalities: 'er sd ML',
});

/** What the gateway checks: the envelope completed as an officer's submission, then every contract rule. */
const violationsOf = (envelope: Record<string, unknown>): Violation[] => {
  try {
    envelopeFromJson(completeEnvelopeJson(envelope, 'emlo-ne', NOW, 'emlo-ne.officer-17'));
    return [];
  } catch (err) {
    if (err instanceof ContractViolationError) return err.violations;
    throw err;
  }
};

describe('envelopeOf', () => {
  it('makes the envelope of a complete route report, which every contract rule accepts', () => {
    const envelope = envelopeOf(typed(), ID);
    expect(violationsOf(envelope)).toEqual([]);
    expect(envelope).toEqual({
      id: ID,
      recipients: ['cp-it', 'jot-mare'],
      route: 'SMUGGLING_ROUTE_CENTRAL_MEDITERRANEAN',
      handlingCode: 'HANDLING_CODE_H1',
      tlp: 'TLP_AMBER',
      evaluation: {
        sourceReliability: 'SOURCE_RELIABILITY_B',
        informationAccuracy: 'INFORMATION_ACCURACY_2',
      },
      releasability: { scope: 'RELEASABILITY_SCOPE_EU_ONLY' },
      purpose: 'Prevention and combating of migrant smuggling',
      routeReport: {
        segments: [
          {
            fromCountry: 'NE',
            fromPlace: 'Agadez',
            toCountry: 'LY',
            toPlace: 'Sabha',
            mode: 'TRANSPORT_MODE_LAND',
            conveyance: 'pick-up trucks',
          },
          {
            fromCountry: 'LY',
            fromPlace: 'Zuwara',
            toCountry: 'IT',
            toPlace: 'Lampedusa',
            mode: 'TRANSPORT_MODE_SEA',
            conveyance: 'rubber dinghy',
          },
        ],
        departureArea: 'Zuwara coast',
        departureCountry: 'LY',
        peopleCarried: 85,
        pricePerPerson: { amount: '3000.00', currency: 'USD' },
        nationalities: ['ER', 'SD', 'ML'],
      },
    });
  });

  it('sends the period, the expiry, third countries and purposes the officer chose', () => {
    const envelope = envelopeOf(
      {
        ...typed(),
        releasabilityScope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES',
        thirdCountries: 'ne, sn',
        purposes: ['PURPOSE_RISK_ANALYSIS'],
        periodStart: '2026-10-01T00:00',
        expiresAt: '2027-05-01T12:00',
      },
      ID,
    );
    expect(envelope).toMatchObject({
      releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES', thirdCountries: ['NE', 'SN'] },
      purposes: ['PURPOSE_RISK_ANALYSIS'],
      expiresAt: new Date('2027-05-01T12:00').toISOString(),
      routeReport: { period: { start: new Date('2026-10-01T00:00').toISOString() } },
    });
    expect(violationsOf(envelope)).toEqual([]);
  });

  it('leaves out what was not typed, so that each violation names a field the form shows', () => {
    const draft = { ...emptyRouteReport(), peopleCarried: 'many' };
    const violations = violationsOf(envelopeOf(draft, ID));
    expect(violations.length).toBeGreaterThan(3);
    const fields = formFields(draft);
    expect(violations.filter((v) => fieldOf(v.field, fields) === undefined)).toEqual([]);
    expect(violations.map((v) => v.field)).toEqual(
      expect.arrayContaining([
        'evaluation.sourceReliability',
        'routeReport.segments[0].fromCountry',
        'routeReport.peopleCarried',
      ]),
    );
  });

  it("reports a leg's unknown country at that leg's input", () => {
    const draft = typed();
    draft.segments[1].fromCountry = 'XX';
    expect(violationsOf(envelopeOf(draft, ID))).toEqual([
      expect.objectContaining({ field: 'routeReport.segments[1].fromCountry' }),
    ]);
  });
});

describe('listOf', () => {
  it('splits on commas and white space and drops empty entries', () => {
    expect(listOf(' cp-it,jot-mare  afic,, ')).toEqual(['cp-it', 'jot-mare', 'afic']);
    expect(listOf('')).toEqual([]);
  });
});

describe('uuidv7', () => {
  it('is a version 7 UUID of the RFC 9562 variant that carries its creation time', () => {
    const id = uuidv7(NOW, new Uint8Array(16).fill(0xff));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(NOW);
    expect(uuidv7(NOW)).not.toBe(uuidv7(NOW));
  });
});
