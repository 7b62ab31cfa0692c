import { describe, expect, it } from '@jest/globals';
import {
  AnalysisProductKind,
  assertValidEnvelopeJson,
  envelopeFromJson,
  envelopeToJson,
  HandlingCode,
  ReleasabilityScope,
  SmugglingRoute,
  Tlp,
  type EnvelopeJson,
} from '#contracts';
import { loadDirectory } from '#directory';
import { asJson, validDebriefingReportEnvelope, validRouteReportEnvelope } from '#testing';
import {
  jointAnalysisFor,
  jointFigures,
  jointSummary,
  MIN_CELL,
  MIN_PARTIES,
  MIN_REPORTS,
  observationOf,
  type RouteObservation,
} from './joint-analysis.js';
import { observationsFor, partnersOf } from './joint-analysis.service.js';

const DAY = 86_400_000;
const period = { startMs: Date.parse('2025-05-01T00:00:00Z'), endMs: Date.parse('2025-05-29T00:00:00Z') };
const directory = loadDirectory('deploy/directory.yaml');
const CENTRAL = SmugglingRoute.CENTRAL_MEDITERRANEAN;

/** A GREEN route report of `sender` received in the period, released to Niger (the fixture's releasability). */
const routeFrom = (sender: string, overrides: Partial<EnvelopeJson> = {}) =>
  observationOf(
    envelopeFromJson(
      asJson(
        validRouteReportEnvelope({
          sender,
          author: `${sender}.a`,
          recipients: ['afic'],
          tlp: 'TLP_GREEN',
          ...overrides,
        }),
      ),
    ),
    `item-of-${sender}`,
    period.startMs + DAY,
  );
const three = () => [routeFrom('cp-it')!, routeFrom('cp-gr')!, routeFrom('cp-mt')!];

describe('what an item adds to the joint analysis', () => {
  it('keeps the countries, means of transport, people, price, marking and release of a route report or debriefing', () => {
    expect(routeFrom('cp-it')).toEqual({
      itemId: 'item-of-cp-it',
      reporter: 'cp-it',
      route: CENTRAL,
      source: 'route-report',
      countries: ['NE', 'LY', 'IT'],
      modes: ['land', 'sea'],
      peopleCarried: 85,
      price: { amount: 3000, currency: 'USD' },
      receivedAtMs: period.startMs + DAY,
      handlingCode: HandlingCode.H1,
      releasedTo: ['NE'],
    });
    const debriefing = validDebriefingReportEnvelope({ handlingCode: 'HANDLING_CODE_H1', tlp: 'TLP_GREEN' });
    expect(observationOf(envelopeFromJson(asJson(debriefing)), 'd', 0)).toMatchObject({
      source: 'debriefing',
      countries: ['SD', 'LY', 'IT'],
      price: { amount: 4200, currency: 'USD' },
      releasedTo: [],
    });
  });

  it("keeps nothing of intelligence under its originator's control, of forwarded copies, or of other types", () => {
    expect(routeFrom('cp-it', { tlp: 'TLP_AMBER' })).toBeUndefined();
    expect(routeFrom('cp-it', { handlingCode: 'HANDLING_CODE_H2' })).toBeUndefined();
    expect(routeFrom('cp-it', { consentRef: '0197a000-0000-7000-8000-000000000009' })).toBeUndefined();
    expect(observationOf(envelopeFromJson(asJson(validDebriefingReportEnvelope())), 'd', 0)).toBeUndefined();
  });
});

describe('the figures, within the disclosure thresholds', () => {
  it(`need ${MIN_REPORTS} reports from ${MIN_PARTIES} parties in the period and on the route`, () => {
    const two = three().slice(0, 2);
    expect(jointFigures(CENTRAL, two, period)).toBeUndefined();
    expect(
      jointFigures(CENTRAL, [...two, { ...routeFrom('cp-mt')!, receivedAtMs: period.endMs }], period),
    ).toBeUndefined();
    expect(
      jointFigures(
        CENTRAL,
        [...two, { ...routeFrom('cp-mt')!, route: SmugglingRoute.WESTERN_BALKANS }],
        period,
      ),
    ).toBeUndefined();
    // Three reports of two parties: one party could work out the other's.
    expect(
      jointFigures(CENTRAL, [...two, { ...routeFrom('cp-gr')!, itemId: 'second' }], period),
    ).toBeUndefined();
    expect(jointFigures(CENTRAL, three(), period)).toBeDefined();
  });

  it(`leave out any count or price fewer than ${MIN_CELL} reports give, and give prices as a median only`, () => {
    const euro = {
      ...routeFrom('cp-es')!,
      price: { amount: 2000, currency: 'EUR' },
      countries: ['SD', 'LY', 'IT'],
    };
    const cheaper = { ...routeFrom('cp-mt')!, price: { amount: 2500, currency: 'USD' } };
    const f = jointFigures(CENTRAL, [routeFrom('cp-it')!, routeFrom('cp-gr')!, cheaper, euro], period)!;
    expect(f).toEqual({
      route: 'Central Mediterranean',
      periodStart: '2025-05-01T00:00:00.000Z',
      periodEnd: '2025-05-29T00:00:00.000Z',
      routeReports: 4,
      debriefings: 0,
      reportingParties: 4,
      peopleCarriedReported: 340,
      // SD (1 journey) and EUR (1 price) are left out.
      departureCountries: { NE: 3 },
      transitCountries: { LY: 4 },
      modes: { land: 4, sea: 4 },
      pricesPerPerson: { USD: { reports: 3, median: 3000 } },
      suppressed: 2,
    });
    expect(jointSummary(f)).toBe(
      'Central Mediterranean, 2025-05-01 to 2025-05-29: 4 route reports and 0 debriefings from 4 parties. ' +
        'Departures: NE 3. Transit: LY 4. Means of transport: land 4, sea 4. ' +
        'Price per person: USD median 3000 (3 reports). People carried, as reported: 340. ' +
        '2 figure(s) resting on fewer than 3 reports left out.',
    );
  });
});

describe('who receives which figures', () => {
  it('goes to each partner of the route whose agreement covers H0', () => {
    expect(partnersOf(directory, CENTRAL, period.endMs).map((p) => [p.id, p.country])).toEqual([
      ['afic-partner-ne', 'NE'],
      ['afic-partner-ng', 'NG'],
    ]);
    expect(
      partnersOf(directory, SmugglingRoute.WESTERN_AFRICAN_ATLANTIC, period.endMs).map((p) => p.id),
    ).toEqual(['afic-partner-gm', 'afic-partner-sn']);
    expect(partnersOf(directory, SmugglingRoute.WESTERN_BALKANS, period.endMs)).toEqual([]);
  });

  it("counts for a partner only what was released to its country under a code its agreement covers, and not the partner's own", () => {
    const [ne, ng] = partnersOf(directory, CENTRAL, period.endMs);
    const observations: RouteObservation[] = [
      ...three(),
      { ...routeFrom('afic-partner-ne')! },
      { ...routeFrom('cp-es')!, releasedTo: ['NG'] },
      { ...routeFrom('cp-pt')!, handlingCode: HandlingCode.H2 },
    ];
    expect(observationsFor(ne, observations).map((o) => o.reporter)).toEqual(['cp-it', 'cp-gr', 'cp-mt']);
    expect(observationsFor(ng, observations).map((o) => o.reporter)).toEqual(['cp-es']);
  });

  it('is an aggregated product for one partner, without personal data, valid under the contract, naming no party', () => {
    const figures = jointFigures(CENTRAL, three(), period)!;
    const forNiger = (nowMs: number) =>
      jointAnalysisFor({
        node: 'afic',
        idKey: 'k',
        route: CENTRAL,
        figures,
        partner: 'afic-partner-ne',
        country: 'NE',
        nowMs,
      });
    const product = forNiger(period.endMs + DAY);
    expect(product).toMatchObject({
      recipients: ['afic-partner-ne'],
      handlingCode: HandlingCode.H0,
      tlp: Tlp.GREEN,
      containsPersonalData: false,
      namedRecipientsOnly: true,
      releasability: { scope: ReleasabilityScope.THIRD_COUNTRIES, thirdCountries: ['NE'] },
    });
    expect(product.payload.case === 'analysisProduct' && product.payload.value).toMatchObject({
      kind: AnalysisProductKind.RISK_ANALYSIS,
      aggregated: true,
    });
    const json = envelopeToJson(product);
    expect(() => assertValidEnvelopeJson(json)).not.toThrow();
    const text = JSON.stringify(json).replace(/"recipients":\[[^\]]*\]/, '');
    for (const identity of ['cp-it', 'cp-gr', 'cp-mt', 'Agadez', 'Zuwara'])
      expect(text).not.toContain(identity);
    expect(forNiger(period.endMs + 2 * DAY).id).toBe(product.id);
    const forNigeria = jointAnalysisFor({
      node: 'afic',
      idKey: 'k',
      route: CENTRAL,
      figures,
      partner: 'afic-partner-ng',
      country: 'NG',
      nowMs: period.endMs + DAY,
    });
    expect(forNigeria.id).not.toBe(product.id);
  });
});
