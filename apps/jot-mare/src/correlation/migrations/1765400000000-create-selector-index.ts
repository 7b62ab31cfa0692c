import type { MigrationInterface, QueryRunner } from 'typeorm';
import { nodeSchemaOf as schemaOf } from '#node-app';

/**
 * JOT MARE's selector index, in its node schema: which report carries which selector, by digest only (the
 * values stay in the reports themselves), and which links each party has been told of, so that a redelivery
 * or a restart tells no one twice. A recalled report takes its rows with it.
 */
export class CreateSelectorIndex1765400000000 implements MigrationInterface {
  name = 'CreateSelectorIndex1765400000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE "${s}"."selector_sighting" (
        "digest" char(64) NOT NULL,
        "kind" text NOT NULL,
        "item_id" uuid NOT NULL,
        "originator" text NOT NULL,
        "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_selector_sighting" PRIMARY KEY ("digest", "item_id")
      )`);
    await q.query(`CREATE INDEX "ix_selector_sighting_item" ON "${s}"."selector_sighting" ("item_id")`);
    await q.query(`
      CREATE TABLE "${s}"."link_told" (
        "party" text NOT NULL,
        "own_item" uuid NOT NULL,
        "digest" char(64) NOT NULL,
        "linked_item" uuid NOT NULL,
        "notice_id" uuid NOT NULL,
        "told_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_link_told" PRIMARY KEY ("party", "own_item", "digest", "linked_item")
      )`);
    await q.query(`CREATE INDEX "ix_link_told_own" ON "${s}"."link_told" ("own_item")`);
    await q.query(`CREATE INDEX "ix_link_told_linked" ON "${s}"."link_told" ("linked_item")`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP TABLE "${s}"."link_told"`);
    await q.query(`DROP TABLE "${s}"."selector_sighting"`);
  }
}
