import type { MigrationInterface, QueryRunner } from 'typeorm';
import { nodeSchemaOf as schemaOf } from '#node-app';

/**
 * A contact point's queue of national dispatches, in the node's schema: one row per item (or recall of it)
 * and authority. A row is sent, retried with backoff, or withdrawn by a recall before it was sent; it is
 * never deleted, so the contact point can always say what it passed to whom. What is sent (`body`) is kept
 * only until then: a sent or withdrawn row holds no intelligence.
 */
export class CreateNationalDispatch1765100000000 implements MigrationInterface {
  name = 'CreateNationalDispatch1765100000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE "${s}"."national_dispatch" (
        "dispatch_id" uuid NOT NULL,
        "item_id" uuid NOT NULL,
        "message_id" uuid NOT NULL,
        "kind" text NOT NULL CHECK ("kind" IN ('item', 'recall')),
        "authority" text NOT NULL,
        "message_type" text NOT NULL,
        "handling_code" text NOT NULL,
        "tlp" text NOT NULL,
        "sha256" character(64) NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE,
        "purpose" text NOT NULL DEFAULT '',
        "body" bytea,
        "status" text NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'sent', 'withdrawn')),
        "attempts" integer NOT NULL DEFAULT 0,
        "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "last_error" text,
        "reported_at" TIMESTAMP WITH TIME ZONE,
        "withdrawn_rule" text,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "sent_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_national_dispatch" PRIMARY KEY ("dispatch_id"),
        CONSTRAINT "CK_national_dispatch_body" CHECK (("status" = 'pending') = ("body" IS NOT NULL))
      )`);
    await q.query(
      `CREATE INDEX "ix_national_dispatch_due" ON "${s}"."national_dispatch" ("next_attempt_at")
       WHERE "status" = 'pending'`,
    );
    await q.query(`CREATE INDEX "ix_national_dispatch_item" ON "${s}"."national_dispatch" ("item_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${schemaOf(q)}"."national_dispatch"`);
  }
}
