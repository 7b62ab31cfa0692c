import type { HandlingCode, Tlp } from '#contracts';
import type { HoldingsStore } from '#node-app';

/** A copy AFIC released to a partner. */
export interface ReleaseRecord {
  itemId: string;
  partner: string;
  releaseId: string;
  agreement: string;
  handlingCode: HandlingCode;
  tlp: Tlp;
}

/** AFIC's releases to partners in PostgreSQL (its node schema). */
export class ReleaseStore {
  constructor(private readonly holdings: HoldingsStore) {}

  private get table(): string {
    return this.holdings.table('partner_release');
  }

  /**
   * Records a release and sends it in one transaction: a failed send records nothing, and a release recorded
   * before is not sent again.
   * @returns false when the item was released to the partner before
   */
  async releaseOnce(r: ReleaseRecord, send: () => Promise<void>): Promise<boolean> {
    return this.holdings.transaction(async (m) => {
      const rows = await m.query<unknown[]>(
        `INSERT INTO ${this.table} (item_id, partner, release_id, agreement, handling_code, tlp)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING partner`,
        [r.itemId, r.partner, r.releaseId, r.agreement, r.handlingCode, r.tlp],
      );
      if (rows.length === 0) return false;
      await send();
      return true;
    });
  }

  /** The copies released of an item, by partner. */
  async releasesOf(itemId: string): Promise<ReleaseRecord[]> {
    const rows = await this.holdings.query<
      Array<{ partner: string; release_id: string; agreement: string; handling_code: number; tlp: number }>
    >(
      `SELECT partner, release_id, agreement, handling_code, tlp FROM ${this.table} WHERE item_id = $1 ORDER BY partner`,
      [itemId],
    );
    return rows.map((r) => ({
      itemId,
      partner: r.partner,
      releaseId: r.release_id,
      agreement: r.agreement,
      handlingCode: r.handling_code,
      tlp: r.tlp,
    }));
  }

  /** Forgets the releases of an item once their recalls are sent. */
  async removeItem(itemId: string): Promise<void> {
    await this.holdings.query(`DELETE FROM ${this.table} WHERE item_id = $1`, [itemId]);
  }
}
