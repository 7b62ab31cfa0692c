import { describe, expect, it } from '@jest/globals';
import { SelectorKind } from '#contracts';
import { MATCH_RULES, queryRefusal, tokensByHolder, verdictsFor, type IndexedToken } from './matching.js';

const T = (token: string, kind = SelectorKind.IBAN) => ({ kind, token });
const row = (holder: string, token: string, kind = SelectorKind.IBAN): IndexedToken => ({
  holder,
  kind,
  token,
});

describe('blind matching', () => {
  const index = [
    row('jot-mare', 'a'),
    row('cp-it', 'a'),
    row('cp-it', 'a'),
    row('cp-gr', 'b'),
    row('cp-mt', 'c', SelectorKind.PHONE_NUMBER),
    row('cp-es', 'a'),
  ];

  it('finds every holder of a token, sorted, each once, never the querier', () => {
    expect(verdictsFor([T('a'), T('b'), T('z')], index, 'cp-es')).toEqual([
      { token: T('a'), holders: ['cp-it', 'jot-mare'] },
      { token: T('b'), holders: ['cp-gr'] },
      { token: T('z'), holders: [] },
    ]);
  });

  it('compares tokens within their kind', () => {
    expect(verdictsFor([T('c')], index, 'cp-es')).toEqual([{ token: T('c'), holders: [] }]);
    expect(verdictsFor([T('c', SelectorKind.PHONE_NUMBER)], index, 'cp-es')[0].holders).toEqual(['cp-mt']);
  });

  it('gives each holder the tokens it holds, for its notice', () => {
    const by = tokensByHolder(verdictsFor([T('b'), T('a'), T('z')], index, 'cp-mt'));
    expect([...by.entries()]).toEqual([
      ['cp-es', [T('a')]],
      ['cp-gr', [T('b')]],
      ['cp-it', [T('a')]],
      ['jot-mare', [T('a')]],
    ]);
    expect(tokensByHolder(verdictsFor([T('z')], index, 'cp-mt')).size).toBe(0);
  });

  it('refuses a query that takes the querier past its quota of tokens, then one made with a key the index does not hold', () => {
    const q = {
      querier: 'cp-it',
      quota: 10,
      keyId: 'mk-1111111111111111',
      indexKeys: ['mk-1111111111111111'],
    };
    expect(queryRefusal({ ...q, askedInWindow: 6, asking: 4 })).toBeNull();
    expect(queryRefusal({ ...q, askedInWindow: 7, asking: 4 })).toEqual({
      rule: MATCH_RULES.quota,
      reason: 'cp-it asked about 7 selector(s) in the last 24 hours and asks about 4 more; the quota is 10',
    });
    expect(queryRefusal({ ...q, askedInWindow: 0, asking: 11 })?.rule).toBe(MATCH_RULES.quota);
    expect(queryRefusal({ ...q, askedInWindow: 0, asking: 1, keyId: 'mk-2222222222222222' })).toEqual({
      rule: MATCH_RULES.keyUnknown,
      reason:
        'the tokens were made with key mk-2222222222222222; the index holds tokens under mk-1111111111111111 only',
    });
    // An empty index answers "no hit" under any key.
    expect(queryRefusal({ ...q, askedInWindow: 0, asking: 1, indexKeys: [] })).toBeNull();
  });
});
