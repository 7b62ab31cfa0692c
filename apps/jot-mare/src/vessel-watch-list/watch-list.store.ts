import { Purpose, type HandlingCode, type SmugglingRoute, type Tlp } from '#contracts';
import type { HoldingsStore } from '#node-app';
import type { PictureEvidence } from '../maritime-picture/maritime-picture.js';
import type { VesselEvidence } from './risk-score.js';
import type { VesselMention, VesselRef } from './vessel-evidence.js';

/** Where an item came from and how it is marked: what each evidence row of it records. */
export interface ItemMeta {
  itemId: string;
  messageId: string;
  reporter: string;
  route: SmugglingRoute;
  handlingCode: HandlingCode;
  tlp: Tlp;
  /** What the item serves: what an alert or picture drawing on it may serve at most. */
  purposes: readonly Purpose[];
}

/** A vessel on the watch-list, with the alert it last raised. */
export interface WatchedVessel extends VesselRef {
  alertedLevel?: number;
  alertedScore?: number;
  lastAlertId?: string;
}

/** One evidence row as the score and the alert read it. */
export interface StoredEvidence extends VesselEvidence {
  messageId: string;
  route: SmugglingRoute;
  handlingCode: HandlingCode;
  tlp: Tlp;
  purposes: Purpose[];
}

interface EvidenceRow {
  item_id: string;
  message_id: string;
  reporter: string;
  source: VesselEvidence['source'];
  status: number | null;
  flag: string | null;
  latitude: number | null;
  longitude: number | null;
  observed_at: Date | null;
  route: number;
  handling_code: number;
  tlp: number;
  purposes: number[];
}

/** JOT MARE's watch-list in PostgreSQL (its node schema). */
export class WatchListStore {
  constructor(private readonly holdings: HoldingsStore) {}

  private t(name: string): string {
    return this.holdings.table(name);
  }

  /**
   * Records what an item says of each vessel it names; the same item again changes nothing.
   * @returns the keys of the vessels named
   */
  async record(mentions: readonly VesselMention[], meta: ItemMeta): Promise<string[]> {
    return this.holdings.transaction(async (m) => {
      for (const { vessel, evidence } of mentions) {
        await m.query(
          `INSERT INTO ${this.t('watched_vessel')} (vessel_key, imo_number, mmsi, name) VALUES ($1, $2, $3, $4)
           ON CONFLICT (vessel_key) DO UPDATE SET
             imo_number = coalesce(EXCLUDED.imo_number, watched_vessel.imo_number),
             mmsi = coalesce(EXCLUDED.mmsi, watched_vessel.mmsi),
             name = coalesce(EXCLUDED.name, watched_vessel.name), updated_at = now()`,
          [vessel.key, vessel.imoNumber ?? null, vessel.mmsi ?? null, vessel.name ?? null],
        );
        await m.query(
          `INSERT INTO ${this.t('vessel_evidence')} (vessel_key, item_id, message_id, reporter, source, status, flag,
             latitude, longitude, observed_at, route, handling_code, tlp, purposes)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING`,
          [
            vessel.key,
            meta.itemId,
            meta.messageId,
            meta.reporter,
            evidence.source,
            evidence.status ?? null,
            evidence.flag ?? null,
            evidence.position?.latitude ?? null,
            evidence.position?.longitude ?? null,
            evidence.position?.observedAtMs === undefined ? null : new Date(evidence.position.observedAtMs),
            meta.route,
            meta.handlingCode,
            meta.tlp,
            [...meta.purposes],
          ],
        );
      }
      return [...new Set(mentions.map((x) => x.vessel.key))];
    });
  }

  async vessel(key: string): Promise<WatchedVessel | undefined> {
    const [r] = await this.holdings.query<
      Array<{
        vessel_key: string;
        imo_number: string | null;
        mmsi: string | null;
        name: string | null;
        alerted_level: number | null;
        alerted_score: number | null;
        last_alert_id: string | null;
      }>
    >(`SELECT * FROM ${this.t('watched_vessel')} WHERE vessel_key = $1`, [key]);
    return r
      ? {
          key: r.vessel_key,
          ...(r.imo_number ? { imoNumber: r.imo_number } : {}),
          ...(r.mmsi ? { mmsi: r.mmsi } : {}),
          ...(r.name ? { name: r.name } : {}),
          ...(r.alerted_level !== null ? { alertedLevel: r.alerted_level } : {}),
          ...(r.alerted_score !== null ? { alertedScore: r.alerted_score } : {}),
          ...(r.last_alert_id ? { lastAlertId: r.last_alert_id } : {}),
        }
      : undefined;
  }

  /** The evidence on a vessel, oldest first. */
  async evidenceOf(key: string): Promise<StoredEvidence[]> {
    const rows = await this.holdings.query<EvidenceRow[]>(
      `SELECT item_id, message_id, reporter, source, status, flag, latitude, longitude, observed_at, route,
              handling_code, tlp, purposes
       FROM ${this.t('vessel_evidence')} WHERE vessel_key = $1 ORDER BY recorded_at, item_id`,
      [key],
    );
    return rows.map((r) => ({
      itemId: r.item_id,
      messageId: r.message_id,
      reporter: r.reporter,
      source: r.source,
      ...(r.status !== null ? { status: r.status } : {}),
      ...(r.flag ? { flag: r.flag } : {}),
      ...(r.latitude !== null && r.longitude !== null
        ? {
            position: {
              latitude: r.latitude,
              longitude: r.longitude,
              ...(r.observed_at ? { observedAtMs: r.observed_at.getTime() } : {}),
            },
          }
        : {}),
      route: r.route,
      handlingCode: r.handling_code,
      tlp: r.tlp,
      purposes: r.purposes,
    }));
  }

  async markAlerted(key: string, level: number, score: number, alertId: string): Promise<void> {
    await this.holdings.query(
      `UPDATE ${this.t('watched_vessel')} SET alerted_level = $2, alerted_score = $3, last_alert_id = $4,
              updated_at = now() WHERE vessel_key = $1`,
      [key, level, score, alertId],
    );
  }

  /** The vessels an item is evidence on. */
  async vesselsOf(itemId: string): Promise<string[]> {
    const rows = await this.holdings.query<Array<{ vessel_key: string }>>(
      `SELECT vessel_key FROM ${this.t('vessel_evidence')} WHERE item_id = $1 ORDER BY vessel_key`,
      [itemId],
    );
    return rows.map((r) => r.vessel_key);
  }

  /** Takes an item's evidence back; a vessel left without evidence leaves the list. */
  async removeItem(itemId: string): Promise<void> {
    await this.holdings.transaction(async (m) => {
      const [touched] = await m.query<[Array<{ vessel_key: string }>, number]>(
        `DELETE FROM ${this.t('vessel_evidence')} WHERE item_id = $1 RETURNING vessel_key`,
        [itemId],
      );
      await m.query(
        `DELETE FROM ${this.t('watched_vessel')} v WHERE v.vessel_key = ANY($1::text[])
           AND NOT EXISTS (SELECT 1 FROM ${this.t('vessel_evidence')} e WHERE e.vessel_key = v.vessel_key)`,
        [touched.map((r) => r.vessel_key)],
      );
    });
  }

  /**
   * What the maritime picture of a route counts: every evidence row on it whose item serves risk analysis,
   * with no item or message id.
   */
  async pictureEvidence(route: SmugglingRoute): Promise<PictureEvidence[]> {
    const rows = await this.holdings.query<
      Array<{
        vessel_key: string;
        reporter: string;
        status: number | null;
        flag: string | null;
        latitude: number | null;
        longitude: number | null;
        recorded_at: Date;
      }>
    >(
      `SELECT vessel_key, reporter, status, flag, latitude, longitude, recorded_at
       FROM ${this.t('vessel_evidence')} WHERE route = $1 AND $2 = ANY(purposes)`,
      [route, Purpose.RISK_ANALYSIS],
    );
    return rows.map((r) => ({
      vesselKey: r.vessel_key,
      reporter: r.reporter,
      ...(r.status !== null ? { status: r.status } : {}),
      ...(r.flag ? { flag: r.flag } : {}),
      ...(r.latitude !== null && r.longitude !== null
        ? { position: { latitude: r.latitude, longitude: r.longitude } }
        : {}),
      recordedAtMs: r.recorded_at.getTime(),
    }));
  }

  /** The vessels that raised an alert. */
  async alertedVessels(): Promise<Set<string>> {
    const rows = await this.holdings.query<Array<{ vessel_key: string }>>(
      `SELECT vessel_key FROM ${this.t('watched_vessel')} WHERE alerted_level IS NOT NULL`,
    );
    return new Set(rows.map((r) => r.vessel_key));
  }

  /** Whether the picture of a route for the period starting at `periodStart` was issued. */
  async pictureIssued(route: SmugglingRoute, periodStart: Date): Promise<boolean> {
    const rows = await this.holdings.query<unknown[]>(
      `SELECT 1 FROM ${this.t('maritime_picture')} WHERE route = $1 AND period_start = $2`,
      [route, periodStart],
    );
    return rows.length > 0;
  }

  async recordPicture(route: SmugglingRoute, periodStart: Date, messageId: string): Promise<void> {
    await this.holdings.query(
      `INSERT INTO ${this.t('maritime_picture')} (route, period_start, message_id) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [route, periodStart, messageId],
    );
  }
}
