import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../../holdings/migrations/1765000000000-create-node-holdings.js';

/**
 * A node's outbox, in its node schema: what the node's officers and the node itself wrote to send, in the
 * order written, until the exchange confirmed it (the submit stream's ack, with its position there).
 */
export class CreateOutbox1765900000000 implements MigrationInterface {
  name = 'CreateOutbox1765900000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE "${s}"."outbox" (
        "seq" bigserial NOT NULL,
        "message_id" uuid NOT NULL,
        "message_type" text NOT NULL,
        "author" text NOT NULL,
        "envelope" bytea NOT NULL,
        "queued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "attempts" integer NOT NULL DEFAULT 0,
        "last_error" text,
        "sent_at" TIMESTAMP WITH TIME ZONE,
        "submit_seq" bigint,
        CONSTRAINT "PK_outbox" PRIMARY KEY ("seq"),
        CONSTRAINT "UQ_outbox_message" UNIQUE ("message_id")
      )`);
    await q.query(`CREATE INDEX "ix_outbox_unsent" ON "${s}"."outbox" ("seq") WHERE "sent_at" IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${schemaOf(q)}"."outbox"`);
  }
}
