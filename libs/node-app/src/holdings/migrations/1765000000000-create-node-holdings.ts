import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The schema the data source was configured with: the node's own (for a node kind's migrations too). */
export const schemaOf = (q: QueryRunner): string =>
  (q.connection.options as { schema?: string }).schema ?? 'public';

/**
 * A node's holdings: the copies it received (the exact bytes, the item each is a copy of, and where it came
 * from), the records it derived from them, and its account of every erasure, by item, kept so that a recall
 * delivered again, after a restart too, is answered with what was erased the first time.
 */
export class CreateNodeHoldings1765000000000 implements MigrationInterface {
  name = 'CreateNodeHoldings1765000000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE "${s}"."holding" (
        "message_id" uuid NOT NULL,
        "item_id" uuid NOT NULL,
        "sender" text NOT NULL,
        "message_type" text NOT NULL,
        "handling_code" text NOT NULL,
        "tlp" text NOT NULL,
        "sha256" character(64) NOT NULL,
        "envelope" bytea NOT NULL,
        "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_holding" PRIMARY KEY ("message_id")
      )`);
    // A recall names the item: the node's copy of it, and any forwarded copy of it the node holds.
    await q.query(`CREATE INDEX "ix_holding_item_id" ON "${s}"."holding" ("item_id")`);
    await q.query(`
      CREATE TABLE "${s}"."derived_record" (
        "message_id" uuid NOT NULL,
        "kind" text NOT NULL,
        "reference" text NOT NULL,
        "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_derived_record" PRIMARY KEY ("message_id", "kind", "reference")
      )`);
    await q.query(`
      CREATE TABLE "${s}"."erasure" (
        "message_id" uuid NOT NULL,
        "recall_id" text NOT NULL,
        "erased_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "erased" text[] NOT NULL,
        "originator" text,
        CONSTRAINT "PK_erasure" PRIMARY KEY ("message_id")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP TABLE "${s}"."erasure"`);
    await q.query(`DROP TABLE "${s}"."derived_record"`);
    await q.query(`DROP TABLE "${s}"."holding"`);
  }
}
