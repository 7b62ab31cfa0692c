import { describe, expect, it } from '@jest/globals';
import { fieldOf, placeViolations } from './violations.js';

const FIELDS = new Set([
  'recipients',
  'evaluation',
  'evaluation.sourceReliability',
  'routeReport.segments',
  'routeReport.segments[0].fromCountry',
  'routeReport.pricePerPerson',
]);

describe('fieldOf', () => {
  it.each([
    ['routeReport.segments[0].fromCountry', 'routeReport.segments[0].fromCountry'],
    ['recipients[1]', 'recipients'],
    ['evaluation.informationAccuracy', 'evaluation'],
    ['routeReport.pricePerPerson.amount', 'routeReport.pricePerPerson'],
    ['routeReport.segments[3].toPlace', 'routeReport.segments'],
    ['routeReport.segments', 'routeReport.segments'],
  ])('places %s under %s', (path, field) => {
    expect(fieldOf(path, FIELDS)).toBe(field);
  });

  it.each(['', 'routeReport', 'suspectVesselReport.imoNumber'])('places %j under no field', (path) => {
    expect(fieldOf(path, FIELDS)).toBeUndefined();
  });
});

describe('placeViolations', () => {
  it('keeps every violation, in order, under its field or with the general ones', () => {
    const v = (field: string) => ({ field, rule: 'r', message: field });
    const placed = placeViolations(
      [v('recipients[0]'), v(''), v('recipients[2]'), v('evaluation.sourceReliability')],
      FIELDS,
    );
    expect(Object.fromEntries(placed.byField)).toEqual({
      recipients: [v('recipients[0]'), v('recipients[2]')],
      'evaluation.sourceReliability': [v('evaluation.sourceReliability')],
    });
    expect(placed.general).toEqual([v('')]);
  });
});
