import type { MigrationInterface, QueryRunner } from 'typeorm';
import { nodeSchemaOf as schemaOf } from '#node-app';

/**
 * JOT MARE's suspect-vessel watch-list, in its node schema: each vessel with the alert it last raised, and the
 * evidence per item (what each report, route report or debriefing said of it), from which the risk score is
 * computed afresh, so a recalled item takes its evidence with it.
 */
export class CreateVesselWatchList1765300000000 implements MigrationInterface {
  name = 'CreateVesselWatchList1765300000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE "${s}"."watched_vessel" (
        "vessel_key" text NOT NULL,
        "imo_number" text,
        "mmsi" text,
        "name" text,
        "alerted_level" integer,
        "alerted_score" integer,
        "last_alert_id" uuid,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_watched_vessel" PRIMARY KEY ("vessel_key")
      )`);
    await q.query(`
      CREATE TABLE "${s}"."vessel_evidence" (
        "vessel_key" text NOT NULL REFERENCES "${s}"."watched_vessel" ("vessel_key") ON DELETE CASCADE,
        "item_id" uuid NOT NULL,
        "message_id" uuid NOT NULL,
        "reporter" text NOT NULL,
        "source" text NOT NULL CHECK ("source" IN ('vessel-report', 'route-report', 'debriefing')),
        "status" integer,
        "flag" text,
        "latitude" double precision,
        "longitude" double precision,
        "observed_at" TIMESTAMP WITH TIME ZONE,
        "route" integer NOT NULL,
        "handling_code" integer NOT NULL,
        "tlp" integer NOT NULL,
        "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_vessel_evidence" PRIMARY KEY ("vessel_key", "item_id")
      )`);
    await q.query(`CREATE INDEX "ix_vessel_evidence_item" ON "${s}"."vessel_evidence" ("item_id")`);
    await q.query(`CREATE INDEX "ix_vessel_evidence_route" ON "${s}"."vessel_evidence" ("route")`);
    // The maritime pictures issued, so a restart issues none twice.
    await q.query(`
      CREATE TABLE "${s}"."maritime_picture" (
        "route" integer NOT NULL,
        "period_start" TIMESTAMP WITH TIME ZONE NOT NULL,
        "message_id" uuid NOT NULL,
        "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_maritime_picture" PRIMARY KEY ("route", "period_start")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP TABLE "${s}"."maritime_picture"`);
    await q.query(`DROP TABLE "${s}"."vessel_evidence"`);
    await q.query(`DROP TABLE "${s}"."watched_vessel"`);
  }
}
