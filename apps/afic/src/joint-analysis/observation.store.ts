import type { SmugglingRoute } from '#contracts';
import type { HoldingsStore } from '#node-app';
import type { RouteObservation } from './joint-analysis.js';

interface ObservationRow {
  item_id: string;
  reporter: string;
  route: number;
  source: RouteObservation['source'];
  countries: string[];
  modes: string[];
  people_carried: number | null;
  price_amount: string | null;
  price_currency: string | null;
  received_at: Date;
  handling_code: number;
  released_to: string[];
}

/** AFIC's route observations and the joint analyses it issued, in PostgreSQL (its node schema). */
export class ObservationStore {
  constructor(private readonly holdings: HoldingsStore) {}

  private t(name: string): string {
    return this.holdings.table(name);
  }

  /** Keeps what an item adds to the analysis; the same item again changes nothing. */
  async record(o: RouteObservation): Promise<void> {
    await this.holdings.query(
      `INSERT INTO ${this.t('route_observation')} (item_id, reporter, route, source, countries, modes, people_carried,
         price_amount, price_currency, received_at, handling_code, released_to)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING`,
      [
        o.itemId,
        o.reporter,
        o.route,
        o.source,
        o.countries,
        o.modes,
        o.peopleCarried ?? null,
        o.price?.amount ?? null,
        o.price?.currency ?? null,
        new Date(o.receivedAtMs),
        o.handlingCode,
        o.releasedTo,
      ],
    );
  }

  /** Whether the item is observed. */
  async has(itemId: string): Promise<boolean> {
    const rows = await this.holdings.query<unknown[]>(
      `SELECT 1 FROM ${this.t('route_observation')} WHERE item_id = $1`,
      [itemId],
    );
    return rows.length > 0;
  }

  /** The routes observed in a period. */
  async routesIn(period: { startMs: number; endMs: number }): Promise<SmugglingRoute[]> {
    const rows = await this.holdings.query<Array<{ route: number }>>(
      `SELECT DISTINCT route FROM ${this.t('route_observation')}
       WHERE received_at >= $1 AND received_at < $2 ORDER BY route`,
      [new Date(period.startMs), new Date(period.endMs)],
    );
    return rows.map((r) => r.route);
  }

  /** What was observed on a route in a period. */
  async observations(
    route: SmugglingRoute,
    period: { startMs: number; endMs: number },
  ): Promise<RouteObservation[]> {
    const rows = await this.holdings.query<ObservationRow[]>(
      `SELECT * FROM ${this.t('route_observation')}
       WHERE route = $1 AND received_at >= $2 AND received_at < $3 ORDER BY received_at, item_id`,
      [route, new Date(period.startMs), new Date(period.endMs)],
    );
    return rows.map((r) => ({
      itemId: r.item_id,
      reporter: r.reporter,
      route: r.route,
      source: r.source,
      countries: r.countries,
      modes: r.modes,
      peopleCarried: r.people_carried ?? undefined,
      price:
        r.price_amount !== null && r.price_currency !== null
          ? { amount: Number(r.price_amount), currency: r.price_currency }
          : undefined,
      receivedAtMs: r.received_at.getTime(),
      handlingCode: r.handling_code,
      releasedTo: r.released_to,
    }));
  }

  /**
   * Records the analysis of a route, period and partner and sends it in one transaction: a failed send records
   * nothing, and one recorded before is not sent again.
   * @returns false when it was issued before
   */
  async issueOnce(
    issue: { route: SmugglingRoute; periodStart: Date; partner: string; messageId: string },
    send: () => Promise<void>,
  ): Promise<boolean> {
    return this.holdings.transaction(async (m) => {
      const rows = await m.query<unknown[]>(
        `INSERT INTO ${this.t('joint_analysis')} (route, period_start, partner, message_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING partner`,
        [issue.route, issue.periodStart, issue.partner, issue.messageId],
      );
      if (rows.length === 0) return false;
      await send();
      return true;
    });
  }

  async removeItem(itemId: string): Promise<void> {
    await this.holdings.query(`DELETE FROM ${this.t('route_observation')} WHERE item_id = $1`, [itemId]);
  }
}
