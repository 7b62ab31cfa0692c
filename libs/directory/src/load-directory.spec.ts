import { describe, expect, it } from '@jest/globals';
import { SUBSCRIBER_CACHE_TOPICS } from './directory.js';
import { DirectoryError, loadDirectory, parseDirectory } from './load-directory.js';

const party = (over: Record<string, unknown> = {}) => ({
  id: 'cp-it',
  kind: 'contact-point',
  name: 'National contact point on migrant smuggling, Italy',
  country: 'IT',
  clearance: 'H3',
  subscriptions: ['intel.*.central-med'],
  ...over,
});

function problemsOf(data: unknown): string[] {
  try {
    parseDirectory(data);
  } catch (err) {
    expect(err).toBeInstanceOf(DirectoryError);
    return (err as DirectoryError).problems;
  }
  throw new Error('expected the directory to be refused');
}

describe('directory loading', () => {
  it('loads the directory shipped in deploy/ with every party of the action plan', () => {
    const dir = loadDirectory('deploy/directory.yaml');
    const kinds = (k: string) => dir.parties().filter((p) => p.kind === k);
    expect(kinds('contact-point')).toHaveLength(27);
    for (const id of [
      'jot-mare',
      'afic',
      'frontex-ra',
      'eurojust',
      'europol-iru',
      'euaa',
      'eurostat',
      'eunavfor-med',
    ]) {
      expect(dir.party(id)).toBeDefined();
    }
    expect(kinds('liaison-officer').length).toBeGreaterThanOrEqual(4);
    expect(kinds('afic-partner').length).toBeGreaterThanOrEqual(4);
  });

  it('finds subscribers of a topic through wildcards', () => {
    const dir = parseDirectory({
      parties: [
        party(),
        party({ id: 'jot-mare', kind: 'jot-mare', subscriptions: ['intel.>'] }),
        party({ id: 'cp-gr', subscriptions: ['intel.*.eastern-med'] }),
      ],
    });
    expect(dir.subscribersOf('intel.route.central-med').map((p) => p.id)).toEqual(['cp-it', 'jot-mare']);
    expect(dir.subscribersOf('intel.vessel.eastern-med').map((p) => p.id)).toEqual(['jot-mare', 'cp-gr']);
  });

  it('remembers the subscribers of a topic, and still matches every topic once its memory is full', () => {
    const dir = parseDirectory({
      parties: [party(), party({ id: 'jot-mare', kind: 'jot-mare', subscriptions: ['intel.>'] })],
    });
    const first = dir.subscribersOf('intel.route.central-med');
    expect(dir.subscribersOf('intel.route.central-med')).toBe(first);
    for (let i = 0; i < SUBSCRIBER_CACHE_TOPICS + 10; i++) dir.subscribersOf(`intel.t${i}.eastern-med`);
    expect(dir.subscribersOf('intel.route.central-med')).toBe(first);
    expect(dir.subscribersOf('intel.vessel.central-med').map((p) => p.id)).toEqual(['cp-it', 'jot-mare']);
    expect(dir.subscribersOf('intel.vessel.eastern-med').map((p) => p.id)).toEqual(['jot-mare']);
  });

  it('refuses a subscription that can match no topic, naming the token and what it may be', () => {
    const problems = problemsOf({
      parties: [
        party({
          id: 'emlo-ne',
          kind: 'liaison-officer',
          subscriptions: [
            'intel.debriefng.>',
            'intel.route.central-mediterranean',
            'intl.route.*',
            'intel.route',
            'intel.route.central-med.x',
            'intel.*.central-med',
            'intel.debriefing.>',
            '>',
          ],
        }),
      ],
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^parties\[0\] \(emlo-ne\): subscription "intel.debriefng.>" matches no topic: "debriefng" is not a type: one of route, modus-operandi, .*, debriefing$/,
      ),
      expect.stringMatching(
        /subscription "intel.route.central-mediterranean" matches no topic: "central-mediterranean" is not a route: one of unspecified, central-med, /,
      ),
      expect.stringMatching(/subscription "intl.route.\*" matches no topic: topics start with intel$/),
      expect.stringMatching(/subscription "intel.route" matches no topic: topics have three tokens/),
      expect.stringMatching(
        /subscription "intel.route.central-med.x" matches no topic: topics have three tokens/,
      ),
    ]);
  });

  it('names the entry and the field of each problem', () => {
    const problems = problemsOf({
      parties: [
        party({ id: 'CP_IT' }),
        party({ id: 'cp-mt', clearance: 'H9', country: 'Malta' }),
        party({ id: 'cp-nl', kind: 'member-state', colour: 'orange' }),
        party({
          id: 'emlo-ne',
          kind: 'liaison-officer',
          subscriptions: ['intel..x'],
          mayPublish: ['gossip'],
        }),
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^parties\[0\] \(CP_IT\): id must be a node id/),
        expect.stringMatching(/^parties\[1\] \(cp-mt\): country must be an ISO 3166-1 alpha-2 code/),
        expect.stringMatching(/^parties\[1\] \(cp-mt\): clearance must be one of H0, H1, H2, H3/),
        expect.stringMatching(/^parties\[2\] \(cp-nl\): unknown field "colour"/),
        expect.stringMatching(/^parties\[2\] \(cp-nl\): kind must be one of/),
        expect.stringMatching(/^parties\[3\] \(emlo-ne\): subscription "intel..x" is not a topic pattern/),
        expect.stringMatching(
          /^parties\[3\] \(emlo-ne\): mayPublish has "gossip", which is not one of routeReport/,
        ),
      ]),
    );
  });

  it('refuses a node id that appears twice', () => {
    expect(problemsOf({ parties: [party(), party()] })).toEqual([
      expect.stringMatching(/\(cp-it\): id appears more than once/),
    ]);
  });

  it('refuses a file without a parties list, and a file that does not exist', () => {
    expect(problemsOf({ participants: [] })).toEqual(['the file must have a top-level "parties" list']);
    expect(() => loadDirectory('deploy/no-such-directory.yaml')).toThrow(
      /cannot read deploy\/no-such-directory.yaml/,
    );
  });

  it('loads the agreements with third countries and finds those in force', () => {
    const dir = loadDirectory('deploy/directory.yaml');
    expect(dir.agreementsFor('SN', '2026-11-28').map((a) => a.id)).toEqual(['frontex-sn-2024']);
    expect(dir.agreementsFor('ML', '2026-11-28')).toEqual([]);
    const limited = parseDirectory({
      parties: [party({ id: 'afic-partner-ne', kind: 'afic-partner', country: 'NE' })],
      agreements: [
        {
          id: 'a-ne',
          country: 'NE',
          title: 'WA',
          personalData: false,
          handlingCodes: ['H0'],
          validUntil: '2026-06-30',
        },
      ],
    });
    expect(limited.agreementsFor('NE', '2026-06-30')).toHaveLength(1);
    expect(limited.agreementsFor('NE', '2026-07-01')).toHaveLength(0);
  });

  it('names each problem of an agreement', () => {
    const problems = problemsOf({
      parties: [party(), party({ id: 'afic-partner-ne', kind: 'afic-partner', country: 'NE' })],
      agreements: [
        { id: 'a-ne', country: 'NE', title: 'WA', personalData: true, handlingCodes: ['H0'] },
        {
          id: 'a-it',
          country: 'IT',
          title: 'Not a third country',
          personalData: false,
          handlingCodes: ['H5'],
        },
      ],
    });
    expect(problems).toEqual([
      'agreements[0] (a-ne): personalData is true, so legalBasis must state the legal basis for transfers',
      'agreements[1] (a-it): handlingCodes must list one or more of H0, H1, H2, H3',
    ]);
    const euCountry = problemsOf({
      parties: [party()],
      agreements: [{ id: 'a-it', country: 'IT', title: 'x', personalData: false, handlingCodes: ['H0'] }],
    });
    expect(euCountry).toEqual(['agreements[0] (a-it): IT is not a third country of the exchange']);
  });

  it('applies the default publish rights of each kind and requires them for EU agencies', () => {
    const dir = parseDirectory({
      parties: [party({ id: 'afic-partner-ne', kind: 'afic-partner', country: 'NE' })],
    });
    expect(dir.party('afic-partner-ne')!.mayPublish).toEqual([
      'routeReport',
      'modusOperandiReport',
      'debriefingReport',
    ]);
    expect(problemsOf({ parties: [party({ id: 'euaa', kind: 'eu-agency' })] })).toEqual([
      'parties[0] (euaa): mayPublish is required for kind eu-agency',
    ]);
  });
});
