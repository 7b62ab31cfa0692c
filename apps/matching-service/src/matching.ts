import type { HeldToken, Verdict } from '#node-app';

/** Codes of the matching service's refusals, cited in answers and audit rows. */
export const MATCH_RULES = {
  /** The querier asked about more tokens in the last 24 hours than its quota allows. */
  quota: 'MATCH.QUOTA_EXCEEDED',
  /** The query's tokens were made with a key the index holds nothing under. */
  keyUnknown: 'MATCH.KEY_UNKNOWN',
  /** A holder's index change that would take it past its limit of tokens: not applied. */
  holderLimit: 'MATCH.HOLDER_LIMIT',
  /** Third countries neither ask nor are found: the index is for the parties of the EU. */
  euOnly: 'MATCH.EU_PARTIES_ONLY',
} as const;

/** One row of the blind index: a party holds a token of a kind under a key. */
export interface IndexedToken {
  holder: string;
  kind: number;
  token: string;
}

/**
 * The verdict on each token asked, in the order asked: the parties holding it under the same kind, sorted,
 * never the querier itself (it knows its own holdings, and must not learn of itself as a "hit").
 */
export function verdictsFor(
  asked: readonly HeldToken[],
  indexed: readonly IndexedToken[],
  querier: string,
): Verdict[] {
  return asked.map((token) => ({
    token,
    holders: [
      ...new Set(
        indexed
          .filter((r) => r.token === token.token && r.kind === Number(token.kind) && r.holder !== querier)
          .map((r) => r.holder),
      ),
    ].sort(),
  }));
}

/** For each holder found, the tokens of the query it holds (in the order asked), for its notice. */
export function tokensByHolder(verdicts: readonly Verdict[]): Map<string, HeldToken[]> {
  const by = new Map<string, HeldToken[]>();
  for (const v of verdicts) for (const h of v.holders) by.set(h, [...(by.get(h) ?? []), v.token]);
  return new Map([...by.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Why a query is not matched at all, or null: the quota (tokens asked about in 24 hours, this query's
 * included, so that splitting a trawl into small queries gains nothing), then the key.
 */
export function queryRefusal(opts: {
  querier: string;
  /** Tokens the querier asked about in answered queries of the last 24 hours. */
  askedInWindow: number;
  /** Tokens in this query. */
  asking: number;
  quota: number;
  keyId: string;
  indexKeys: readonly string[];
}): { rule: string; reason: string } | null {
  if (opts.askedInWindow + opts.asking > opts.quota)
    return {
      rule: MATCH_RULES.quota,
      reason: `${opts.querier} asked about ${opts.askedInWindow} selector(s) in the last 24 hours and asks about ${opts.asking} more; the quota is ${opts.quota}`,
    };
  if (opts.indexKeys.length > 0 && !opts.indexKeys.includes(opts.keyId))
    return {
      rule: MATCH_RULES.keyUnknown,
      reason: `the tokens were made with key ${opts.keyId}; the index holds tokens under ${[...opts.indexKeys].sort().join(', ')} only`,
    };
  return null;
}
