import type { MigrationInterface, QueryRunner } from 'typeorm';
import { nodeSchemaOf as schemaOf } from '#node-app';

/**
 * The matching service's index, in its node schema: which party holds which token under which key (tokens
 * only: the service has no key and never sees a value), and every query it answered, for the quota and so
 * that a redelivered query is answered once.
 */
export class CreateBlindIndex1765800000000 implements MigrationInterface {
  name = 'CreateBlindIndex1765800000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE "${s}"."blind_index" (
        "holder" text NOT NULL,
        "key_id" text NOT NULL,
        "kind" smallint NOT NULL,
        "token" text NOT NULL,
        "indexed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_blind_index" PRIMARY KEY ("key_id", "token", "kind", "holder")
      )`);
    await q.query(`
      CREATE TABLE "${s}"."blind_query" (
        "query_id" uuid NOT NULL,
        "querier" text NOT NULL,
        "asked_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "tokens" integer NOT NULL,
        "hits" integer NOT NULL,
        "refused_rule" text,
        "answer_id" uuid NOT NULL,
        CONSTRAINT "PK_blind_query" PRIMARY KEY ("query_id")
      )`);
    await q.query(`CREATE INDEX "ix_blind_query_querier" ON "${s}"."blind_query" ("querier", "asked_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP TABLE "${s}"."blind_query"`);
    await q.query(`DROP TABLE "${s}"."blind_index"`);
  }
}
