import type { HeldToken, HoldingsStore } from '#node-app';
import type { IndexedToken } from './matching.js';

/** A query as answered: what the quota counts and what a redelivery finds. */
export interface AnsweredQuery {
  tokens: number;
  hits: number;
  refusedRule?: string;
  answerId: string;
}

/** The matching service's index and its record of queries, in PostgreSQL (its node schema). */
export class MatchingStore {
  constructor(private readonly holdings: HoldingsStore) {}

  private t(name: string): string {
    return this.holdings.table(name);
  }

  /**
   * Applies a holder's change; adding what is there or removing what is not changes nothing. The holder's
   * changes take turns, and one that would take it past `limit` tokens is not applied at all.
   * @returns how many tokens were added and removed, or `overLimit` with the holder's count after the change
   */
  async apply(
    holder: string,
    keyId: string,
    added: readonly HeldToken[],
    removed: readonly HeldToken[],
    limit: number,
  ): Promise<{ added: number; removed: number; overLimit?: number }> {
    return this.holdings.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.t('blind_index')}:${holder}`]);
      await m.query('SAVEPOINT blind_change');
      // In a CTE: TypeORM answers a bare DELETE with [rows, count].
      const [gone] = await m.query<Array<{ n: number }>>(
        `WITH d AS (DELETE FROM ${this.t('blind_index')} AS b USING unnest($3::smallint[], $4::text[]) AS r(k, t)
         WHERE b.holder = $1 AND b.key_id = $2 AND b.kind = r.k AND b.token = r.t RETURNING 1)
         SELECT count(*)::int AS n FROM d`,
        [holder, keyId, removed.map((t) => t.kind), removed.map((t) => t.token)],
      );
      const [put] = await m.query<Array<{ n: number }>>(
        `WITH i AS (INSERT INTO ${this.t('blind_index')} (holder, key_id, kind, token)
         SELECT $1, $2, k, t FROM unnest($3::smallint[], $4::text[]) AS a(k, t)
         ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*)::int AS n FROM i`,
        [holder, keyId, added.map((t) => t.kind), added.map((t) => t.token)],
      );
      const [{ n }] = await m.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM ${this.t('blind_index')} WHERE holder = $1`,
        [holder],
      );
      if (n > limit) {
        await m.query('ROLLBACK TO SAVEPOINT blind_change');
        return { added: 0, removed: 0, overLimit: n };
      }
      return { added: put.n, removed: gone.n };
    });
  }

  /** Who holds any of the tokens under the key. */
  async lookUp(keyId: string, tokens: readonly string[]): Promise<IndexedToken[]> {
    return this.holdings.query<IndexedToken[]>(
      `SELECT holder, kind, token FROM ${this.t('blind_index')} WHERE key_id = $1 AND token = ANY($2::text[])`,
      [keyId, tokens],
    );
  }

  /** The keys the index holds tokens under. */
  async keyIds(): Promise<string[]> {
    const rows = await this.holdings.query<Array<{ key_id: string }>>(
      `SELECT DISTINCT key_id FROM ${this.t('blind_index')} ORDER BY key_id`,
    );
    return rows.map((r) => r.key_id);
  }

  /**
   * Answers a query once. `answer` gets how many tokens the querier asked about in the queries answered (not
   * refused) in the last 24 hours and must send the answer and the notices; it runs inside the transaction that records the query,
   * with the querier's queries taking turns, so a failed send records nothing and two queries cannot both
   * take the last place of a quota.
   * @returns the query as answered now, or as answered before (then `answer` is not called)
   */
  answerOnce(
    query: { id: string; querier: string },
    answer: (askedInWindow: number) => Promise<AnsweredQuery>,
  ): Promise<{ answered: AnsweredQuery; before: boolean }> {
    return this.holdings.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
        `${this.t('blind_query')}:${query.querier}`,
      ]);
      const [done] = await m.query<
        Array<{ tokens: number; hits: number; refused_rule: string | null; answer_id: string }>
      >(`SELECT tokens, hits, refused_rule, answer_id FROM ${this.t('blind_query')} WHERE query_id = $1`, [
        query.id,
      ]);
      if (done)
        return {
          before: true,
          answered: {
            tokens: done.tokens,
            hits: done.hits,
            refusedRule: done.refused_rule ?? undefined,
            answerId: done.answer_id,
          },
        };
      const [{ n }] = await m.query<Array<{ n: number }>>(
        `SELECT coalesce(sum(tokens), 0)::int AS n FROM ${this.t('blind_query')}
         WHERE querier = $1 AND refused_rule IS NULL AND asked_at > now() - interval '24 hours'`,
        [query.querier],
      );
      const answered = await answer(n);
      await m.query(
        `INSERT INTO ${this.t('blind_query')} (query_id, querier, tokens, hits, refused_rule, answer_id)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          query.id,
          query.querier,
          answered.tokens,
          answered.hits,
          answered.refusedRule ?? null,
          answered.answerId,
        ],
      );
      return { answered, before: false };
    });
  }
}
