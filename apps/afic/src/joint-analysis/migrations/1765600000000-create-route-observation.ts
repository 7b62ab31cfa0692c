import type { MigrationInterface, QueryRunner } from 'typeorm';
import { nodeSchemaOf as schemaOf } from '#node-app';

/**
 * What AFIC's joint analysis is computed from, in its node schema: per route report or debriefing, the
 * countries and means of transport of the journey, the people carried and the price, with its handling code and
 * the countries it was released to (no place or person; the reporter is counted, never named); and the
 * analyses issued per partner, so that a restart issues none twice. A recalled item takes its observation with
 * it.
 */
export class CreateRouteObservation1765600000000 implements MigrationInterface {
  name = 'CreateRouteObservation1765600000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE "${s}"."route_observation" (
        "item_id" uuid NOT NULL,
        "reporter" text NOT NULL,
        "route" integer NOT NULL,
        "source" text NOT NULL CHECK ("source" IN ('route-report', 'debriefing')),
        "countries" text[] NOT NULL,
        "modes" text[] NOT NULL,
        "people_carried" integer,
        "price_amount" numeric,
        "price_currency" char(3),
        "received_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "handling_code" integer NOT NULL,
        "released_to" text[] NOT NULL,
        CONSTRAINT "PK_route_observation" PRIMARY KEY ("item_id")
      )`);
    await q.query(
      `CREATE INDEX "ix_route_observation_route" ON "${s}"."route_observation" ("route", "received_at")`,
    );
    await q.query(`
      CREATE TABLE "${s}"."joint_analysis" (
        "route" integer NOT NULL,
        "period_start" TIMESTAMP WITH TIME ZONE NOT NULL,
        "partner" text NOT NULL,
        "message_id" uuid NOT NULL,
        "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_joint_analysis" PRIMARY KEY ("route", "period_start", "partner")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP TABLE "${s}"."joint_analysis"`);
    await q.query(`DROP TABLE "${s}"."route_observation"`);
  }
}
