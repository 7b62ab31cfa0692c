import { parseDirectory, type Directory } from '#directory';

/**
 * A small directory with one party of every kind (two EU agencies: one limited clearance, one statistics
 * only) and three third countries: Niger (agreement without personal data, H0–H1), Senegal (agreement with
 * a legal basis for personal data, H0–H2) and Mali (no agreement).
 */
export function testDirectory(): Directory {
  const party = (
    id: string,
    kind: string,
    country: string,
    clearance: string,
    subscriptions: string[] = [],
    extra = {},
  ) => ({
    id,
    kind,
    name: id,
    country,
    clearance,
    subscriptions,
    ...extra,
  });
  return parseDirectory({
    parties: [
      party('cp-it', 'contact-point', 'IT', 'H3', ['intel.*.central-med']),
      party('cp-gr', 'contact-point', 'GR', 'H3', ['intel.*.eastern-med']),
      party('jot-mare', 'jot-mare', 'NL', 'H3', ['intel.>']),
      party('afic', 'afic', 'PL', 'H2', ['intel.route.>']),
      party('emlo-ne', 'liaison-officer', 'NE', 'H2'),
      party('euaa', 'eu-agency', 'MT', 'H1', [], { mayPublish: ['documentFraudReport'] }),
      party('eurostat', 'eu-agency', 'LU', 'H0', [], {
        mayPublish: ['analysisProduct'],
        aggregatesOnly: true,
      }),
      party('afic-partner-ne', 'afic-partner', 'NE', 'H1'),
      party('afic-partner-sn', 'afic-partner', 'SN', 'H2', ['intel.route.central-med']),
      party('afic-partner-ml', 'afic-partner', 'ML', 'H1'),
      party('hit-no-hit', 'matching-service', 'NL', 'H3'),
    ],
    agreements: [
      {
        id: 'frontex-ne',
        country: 'NE',
        title: 'Working arrangement with Niger',
        personalData: false,
        handlingCodes: ['H0', 'H1'],
      },
      {
        id: 'frontex-sn',
        country: 'SN',
        title: 'Status agreement with Senegal',
        personalData: true,
        legalBasis: 'Regulation (EU) 2019/1896, Art. 86',
        handlingCodes: ['H0', 'H1', 'H2'],
      },
    ],
  });
}
