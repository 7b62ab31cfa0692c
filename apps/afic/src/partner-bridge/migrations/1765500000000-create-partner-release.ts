import type { MigrationInterface, QueryRunner } from 'typeorm';
import { nodeSchemaOf as schemaOf } from '#node-app';

/**
 * AFIC's record of the copies it released to partner countries, in its node schema: which item, to which
 * partner, under which copy id and marking. It is what a recall of the original is passed on from, and what
 * keeps a redelivery from releasing twice.
 */
export class CreatePartnerRelease1765500000000 implements MigrationInterface {
  name = 'CreatePartnerRelease1765500000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE "${s}"."partner_release" (
        "item_id" uuid NOT NULL,
        "partner" text NOT NULL,
        "release_id" uuid NOT NULL,
        "agreement" text NOT NULL,
        "handling_code" integer NOT NULL,
        "tlp" integer NOT NULL,
        "released_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_partner_release" PRIMARY KEY ("item_id", "partner")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${schemaOf(q)}"."partner_release"`);
  }
}
