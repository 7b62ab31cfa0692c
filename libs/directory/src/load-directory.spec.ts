import { describe, expect, it } from '@jest/globals';
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
        expect.stringMatching(/^parties\[3\] \(emlo-ne\): mayPublish has unknown message type "gossip"/),
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
});
