import type { EntityManager } from 'typeorm';
import type { Envelope } from '#contracts';
import type { HoldingsStore } from '../holdings/holdings-store.js';
import type { OutboxStore } from '../outbox/outbox.store.js';
import type { HeldToken } from './matching-key.js';

/** Makes the index update that tells the matching service of a change, to put in the outbox. */
export type UpdateFor = (change: { added?: HeldToken[]; removed?: HeldToken[] }, keyId: string) => Envelope;

/** The tokens a node holds under a key, per item: what it told the matching service, and must take back. */
export class BlindTokenStore {
  constructor(
    private readonly holdings: HoldingsStore,
    private readonly outbox: OutboxStore,
  ) {}

  private get table(): string {
    return this.holdings.table('blind_token');
  }

  /** One change to the index at a time, so that an item kept and another erased agree on what is still held. */
  private locked<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.holdings.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.table}:blind-index`]);
      return work(m);
    });
  }

  /**
   * Records the tokens of an item, and puts in the outbox, in the same transaction, the update telling the
   * matching service of those the node held under no other item before: the index and what the matching
   * service is told never part, whatever fails. The same item again tells nothing.
   * @returns the tokens told now
   */
  add(itemId: string, keyId: string, tokens: readonly HeldToken[], update: UpdateFor): Promise<HeldToken[]> {
    return this.locked((m) => this.addIn(m, itemId, keyId, tokens, update));
  }

  private async addIn(
    m: EntityManager,
    itemId: string,
    keyId: string,
    tokens: readonly HeldToken[],
    update: UpdateFor,
  ): Promise<HeldToken[]> {
    {
      const inserted = await m.query<Array<{ token: string }>>(
        `INSERT INTO ${this.table} (item_id, key_id, kind, token)
         SELECT $1, $2, k, t FROM unnest($3::smallint[], $4::text[]) AS s(k, t)
         ON CONFLICT DO NOTHING RETURNING token`,
        [itemId, keyId, tokens.map((t) => t.kind), tokens.map((t) => t.token)],
      );
      const added = new Set(inserted.map((r) => r.token));
      const already = await this.heldElsewhere(m, itemId, keyId, [...added]);
      const fresh = tokens.filter((t) => added.has(t.token) && !already.has(t.token));
      if (fresh.length > 0) await this.outbox.enqueueIn(m, update({ added: fresh }, keyId));
      return fresh;
    }
  }

  /**
   * Forgets an item's tokens (under every key but `keepKey`), and puts in the outbox, in the same transaction,
   * the update taking back those no other item of the node carries any more.
   * @returns the tokens taken back
   */
  remove(itemId: string, update: UpdateFor, keepKey?: string): Promise<HeldToken[]> {
    return this.locked((m) => this.removeIn(m, itemId, update, keepKey));
  }

  /**
   * Moves an item from the keys it is indexed under to `keyId` (after a rotation of the key), in one
   * transaction, unless it was erased meanwhile (then it has no rows left to move).
   * @returns whether it was moved
   */
  move(itemId: string, keyId: string, tokens: readonly HeldToken[], update: UpdateFor): Promise<boolean> {
    return this.locked(async (m) => {
      const [old] = await m.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM ${this.table} WHERE item_id = $1 AND key_id <> $2`,
        [itemId, keyId],
      );
      if (old.n === 0) return false;
      await this.addIn(m, itemId, keyId, tokens, update);
      await this.removeIn(m, itemId, update, keyId);
      return true;
    });
  }

  private async removeIn(
    m: EntityManager,
    itemId: string,
    update: UpdateFor,
    keepKey?: string,
  ): Promise<HeldToken[]> {
    {
      // In a CTE: TypeORM answers a bare DELETE with [rows, count].
      const rows = await m.query<Array<{ key_id: string; kind: number; token: string }>>(
        `WITH d AS (DELETE FROM ${this.table} WHERE item_id = $1 AND key_id IS DISTINCT FROM $2
                    RETURNING key_id, kind, token)
         SELECT key_id, kind, token FROM d`,
        [itemId, keepKey ?? null],
      );
      const gone: HeldToken[] = [];
      for (const keyId of new Set(rows.map((r) => r.key_id))) {
        const ofKey = rows.filter((r) => r.key_id === keyId);
        const still = await this.heldElsewhere(
          m,
          itemId,
          keyId,
          ofKey.map((r) => r.token),
        );
        const lost = ofKey.filter((r) => !still.has(r.token)).map((r) => ({ kind: r.kind, token: r.token }));
        if (lost.length > 0) await this.outbox.enqueueIn(m, update({ removed: lost }, keyId));
        gone.push(...lost);
      }
      return gone;
    }
  }

  /** The items indexed that the node no longer holds (an erasure that stopped half-way): to take back. */
  async orphans(): Promise<string[]> {
    const rows = await this.holdings.query<Array<{ item_id: string }>>(
      `SELECT DISTINCT b.item_id FROM ${this.table} b
        WHERE NOT EXISTS (SELECT 1 FROM ${this.holdings.table('holding')} h WHERE h.item_id = b.item_id)`,
    );
    return rows.map((r) => r.item_id);
  }

  /** The items indexed under any key but `keyId`, oldest first: what a rotation of the key leaves to do. */
  async itemsUnderOtherKeys(keyId: string): Promise<string[]> {
    const rows = await this.holdings.query<Array<{ item_id: string }>>(
      `SELECT item_id FROM ${this.table} WHERE key_id <> $1 GROUP BY item_id ORDER BY min(recorded_at), item_id`,
      [keyId],
    );
    return rows.map((r) => r.item_id);
  }

  /** The selector kinds an item is indexed by, each once, sorted. */
  async kindsOf(itemId: string): Promise<number[]> {
    const rows = await this.holdings.query<Array<{ kind: number }>>(
      `SELECT DISTINCT kind FROM ${this.table} WHERE item_id = $1 ORDER BY kind`,
      [itemId],
    );
    return rows.map((r) => r.kind);
  }

  /** The node's items that carry any of the tokens, oldest first. */
  async itemsWith(keyId: string, tokens: readonly string[]): Promise<string[]> {
    const rows = await this.holdings.query<Array<{ item_id: string }>>(
      `SELECT item_id FROM ${this.table} WHERE key_id = $1 AND token = ANY($2::text[])
       GROUP BY item_id ORDER BY min(recorded_at), item_id`,
      [keyId, tokens],
    );
    return rows.map((r) => r.item_id);
  }

  private async heldElsewhere(
    m: EntityManager,
    itemId: string,
    keyId: string,
    tokens: readonly string[],
  ): Promise<Set<string>> {
    if (tokens.length === 0) return new Set();
    const rows = await m.query<Array<{ token: string }>>(
      `SELECT DISTINCT token FROM ${this.table} WHERE key_id = $1 AND token = ANY($2::text[]) AND item_id <> $3`,
      [keyId, tokens, itemId],
    );
    return new Set(rows.map((r) => r.token));
  }
}
