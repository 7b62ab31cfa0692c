import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '#config';
import {
  authoritiesFor,
  loadNationalAuthorities,
  DEFAULT_RETRY,
  DEFAULT_TYPES,
  parseNationalAuthorities,
  type NationalAuthorities,
} from './national-authorities.js';

const secrets: Record<string, string> = { '/run/secrets/uif': 'uif-token\n', '/run/secrets/empty': ' \n' };
const readFile = (p: string) => {
  if (p in secrets) return secrets[p];
  throw Object.assign(new Error('missing'), { code: 'ENOENT' });
};
const parse = (raw: unknown): NationalAuthorities => parseNationalAuthorities(raw, 'cp-it.yaml', readFile);

/** The problems a configuration is refused with. */
function problems(raw: unknown): string[] {
  try {
    parse(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('accepted');
}

const coastGuard = {
  id: 'guardia-costiera',
  kind: 'coast-guard',
  name: 'Guardia Costiera',
  nats: { url: 'nats://10.0.0.5:4222', subject: 'it.gc.msx.intake' },
};
const fiu = {
  id: 'uif',
  kind: 'financial-intelligence-unit',
  name: 'Unità di Informazione Finanziaria',
  http: { url: 'https://uif.example.it/msx', tokenFile: '/run/secrets/uif' },
};

describe('national authorities of a contact point', () => {
  it('reads each authority with the types of its kind by default, and its endpoint and token', () => {
    const config = parse({ authorities: [coastGuard, fiu] });
    expect(config.retry).toEqual(DEFAULT_RETRY);
    expect(config.authorities[0]).toEqual({
      id: 'guardia-costiera',
      kind: 'coast-guard',
      name: 'Guardia Costiera',
      types: DEFAULT_TYPES['coast-guard'],
      endpoint: { transport: 'nats', url: 'nats://10.0.0.5:4222', subject: 'it.gc.msx.intake' },
    });
    expect(config.authorities[1].endpoint).toEqual({
      transport: 'http',
      url: 'https://uif.example.it/msx',
      token: 'uif-token',
    });
    expect(authoritiesFor(config.authorities, 'financialLead').map((a) => a.id)).toEqual(['uif']);
    expect(authoritiesFor(config.authorities, 'suspectVesselReport').map((a) => a.id)).toEqual([
      'guardia-costiera',
    ]);
    expect(authoritiesFor(config.authorities, 'recall')).toEqual([]);
    expect(authoritiesFor(config.authorities, undefined)).toEqual([]);
  });

  it('takes the types an entry lists instead of its defaults', () => {
    const config = parse({ authorities: [{ ...coastGuard, types: ['vesselAlert'] }] });
    expect(config.authorities[0].types).toEqual(['vesselAlert']);
  });

  it('names the entry, the field and the rule of every problem at once', () => {
    expect(
      problems({
        authorities: [
          { ...coastGuard, id: 'Guardia Costiera', kind: 'navy', colour: 'blue' },
          { ...fiu, types: ['recall', 'financialLead', 'financialLead'] },
          {
            id: 'procura',
            kind: 'prosecution',
            name: 'Procura',
            http: { url: 'https://procura.example.it' },
          },
          { id: 'both', kind: 'police', name: 'Polizia', http: { url: 'https://p.example.it' }, nats: {} },
        ],
        retry: { reportAfter: 0, colour: 1 },
      }),
    ).toEqual([
      'cp-it.yaml: authorities[0] (Guardia Costiera): unknown field "colour" (known: id, kind, name, types, nats, http)',
      'cp-it.yaml: authorities[0] (Guardia Costiera): id must be [a-z0-9] words joined by -',
      'cp-it.yaml: authorities[0] (Guardia Costiera): kind must be one of border-guard, coast-guard, police, financial-intelligence-unit, prosecution',
      expect.stringMatching(
        /^cp-it.yaml: authorities\[1\] \(uif\): type "recall" cannot be dispatched; dispatchable types: routeReport, /,
      ),
      'cp-it.yaml: authorities[1] (uif): type "financialLead" is listed twice',
      'cp-it.yaml: authorities[2] (procura): types is required for kind prosecution (it takes nothing by default)',
      'cp-it.yaml: authorities[3] (both): exactly one of nats or http is required (how the authority is reached)',
      'retry: unknown field "colour" (known: reportAfter, firstDelayMs, maxDelayMs, timeoutMs)',
      'retry.reportAfter: must be a whole number from 1 to 1000',
    ]);
  });

  it('sends intelligence in clear only to this host, and never puts credentials in a URL', () => {
    expect(problems({ authorities: [{ ...fiu, http: { url: 'http://uif.example.it/msx' } }] })).toEqual([
      'cp-it.yaml: authorities[0] (uif).http.url: must be https (plain http is allowed only to this host, for tests)',
    ]);
    expect(
      parse({ authorities: [{ ...fiu, http: { url: 'http://127.0.0.1:8080/x' } }] }).authorities,
    ).toHaveLength(1);
    expect(problems({ authorities: [{ ...fiu, http: { url: 'https://a:b@uif.example.it' } }] })).toEqual([
      'cp-it.yaml: authorities[0] (uif).http.url: must not carry credentials; name a tokenFile instead',
    ]);
    expect(
      problems({ authorities: [{ ...coastGuard, nats: { url: 'http://x', subject: 'it.gc.>' } }] }),
    ).toEqual([
      'cp-it.yaml: authorities[0] (guardia-costiera).nats.url: must be a nats or tls URL',
      'cp-it.yaml: authorities[0] (guardia-costiera).nats.subject: must be a NATS subject without wildcards, such as it.gdf.msx.intake',
    ]);
  });

  it('reads tokens from files, and names the file, never the token, when one is unusable', () => {
    const msgs = problems({
      authorities: [
        { ...fiu, http: { url: 'https://uif.example.it', tokenFile: '/run/secrets/none' } },
        { ...coastGuard, nats: { ...coastGuard.nats, tokenFile: '/run/secrets/empty' } },
      ],
    });
    expect(msgs).toEqual([
      'cp-it.yaml: authorities[0] (uif).http.tokenFile: cannot read /run/secrets/none (ENOENT)',
      'cp-it.yaml: authorities[1] (guardia-costiera).nats.tokenFile: /run/secrets/empty is empty',
    ]);
  });

  it('refuses an authority id used twice and a file without a list of authorities', () => {
    expect(problems({ authorities: [fiu, fiu] })).toEqual([
      'cp-it.yaml: authorities[1] (uif): id is used twice',
    ]);
    expect(problems({ authority: [] })).toEqual([
      'cp-it.yaml: must be a mapping with a list "authorities" (and optionally "retry")',
    ]);
  });
});

describe('the example in deploy/', () => {
  it('is a valid configuration that routes each type as its comments say', () => {
    const config = loadNationalAuthorities('deploy/national-authorities.example.yaml');
    expect(config.authorities.map((a) => `${a.id}:${a.endpoint.transport}`)).toEqual([
      'guardia-costiera:nats',
      'polizia-frontiera:http',
      'sco:http',
      'uif:http',
      'dna:http',
    ]);
    expect(authoritiesFor(config.authorities, 'financialLead').map((a) => a.id)).toEqual(['uif', 'dna']);
  });

  it('is refused with the variable and file named when it cannot be read', () => {
    expect(() => loadNationalAuthorities('deploy/none.yaml')).toThrow(
      'MSX_DISPATCH_FILE: cannot read deploy/none.yaml (ENOENT)',
    );
  });
});
