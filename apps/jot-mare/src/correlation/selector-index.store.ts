import type { HoldingsStore } from '#node-app';
import type { ReportSelector } from './correlation.js';

/** A report of another party that carries one of the same selectors. */
export interface Sighting {
  digest: string;
  itemId: string;
  originator: string;
}

/** JOT MARE's selector index in PostgreSQL (its node schema): digests only, never a value in clear. */
export class SelectorIndexStore {
  constructor(private readonly holdings: HoldingsStore) {}

  private t(name: string): string {
    return this.holdings.table(name);
  }

  /** Records the selectors a report carries; the same report again changes nothing. */
  async record(itemId: string, originator: string, selectors: readonly ReportSelector[]): Promise<void> {
    if (selectors.length === 0) return;
    await this.holdings.query(
      `INSERT INTO ${this.t('selector_sighting')} (digest, kind, item_id, originator)
       SELECT d, k, $3, $4 FROM unnest($1::text[], $2::text[]) AS s(d, k)
       ON CONFLICT DO NOTHING`,
      [selectors.map((s) => s.digest), selectors.map((s) => s.kind), itemId, originator],
    );
  }

  /** The other reports that carry any of the digests, oldest first. */
  async sightings(digests: readonly string[], exceptItem: string): Promise<Sighting[]> {
    const rows = await this.holdings.query<Array<{ digest: string; item_id: string; originator: string }>>(
      `SELECT digest, item_id, originator FROM ${this.t('selector_sighting')}
       WHERE digest = ANY($1::text[]) AND item_id <> $2 ORDER BY recorded_at, item_id`,
      [digests, exceptItem],
    );
    return rows.map((r) => ({ digest: r.digest, itemId: r.item_id, originator: r.originator }));
  }

  /**
   * Tells a party of links it has not been told of: `send` gets the linked reports not told yet (never an
   * empty list) and returns the id of the notice it sent. The links are recorded in the same transaction, so
   * a failed send records nothing and is tried again with the item.
   * @returns the linked reports the party has been told of for this report and selector: before, or now
   */
  async tellOnce(
    link: { party: string; ownItem: string; digest: string; linked: readonly string[] },
    send: (fresh: string[]) => Promise<string>,
  ): Promise<string[]> {
    return this.holdings.transaction(async (m) => {
      const told = await m.query<Array<{ linked_item: string }>>(
        `SELECT linked_item FROM ${this.t('link_told')}
         WHERE party = $1 AND own_item = $2 AND digest = $3 AND linked_item = ANY($4::uuid[])`,
        [link.party, link.ownItem, link.digest, link.linked],
      );
      const done = new Set(told.map((r) => r.linked_item));
      const fresh = link.linked.filter((id) => !done.has(id));
      if (fresh.length > 0) {
        const noticeId = await send(fresh);
        await m.query(
          `INSERT INTO ${this.t('link_told')} (party, own_item, digest, linked_item, notice_id)
           SELECT $1, $2, $3, l, $5 FROM unnest($4::uuid[]) AS l ON CONFLICT DO NOTHING`,
          [link.party, link.ownItem, link.digest, fresh, noticeId],
        );
      }
      return link.linked.filter((id) => done.has(id) || fresh.includes(id));
    });
  }

  /** The selector kinds a report is indexed by, each once, sorted. */
  async kindsOf(itemId: string): Promise<string[]> {
    const rows = await this.holdings.query<Array<{ kind: string }>>(
      `SELECT DISTINCT kind FROM ${this.t('selector_sighting')} WHERE item_id = $1 ORDER BY kind`,
      [itemId],
    );
    return rows.map((r) => r.kind);
  }

  /** Takes a report out of the index, with every link told of it or through it. */
  async removeItem(itemId: string): Promise<void> {
    await this.holdings.transaction(async (m) => {
      await m.query(`DELETE FROM ${this.t('selector_sighting')} WHERE item_id = $1`, [itemId]);
      await m.query(`DELETE FROM ${this.t('link_told')} WHERE own_item = $1 OR linked_item = $1`, [itemId]);
    });
  }
}
