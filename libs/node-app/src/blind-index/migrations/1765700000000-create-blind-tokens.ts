import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../../holdings/migrations/1765000000000-create-node-holdings.js';

/**
 * The tokens a node told the matching service it holds, per item, under which key: what it must take back
 * when the item is erased (a token stays as long as one of the node's items carries it).
 */
export class CreateBlindTokens1765700000000 implements MigrationInterface {
  name = 'CreateBlindTokens1765700000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE "${s}"."blind_token" (
        "item_id" uuid NOT NULL,
        "key_id" text NOT NULL,
        "kind" smallint NOT NULL,
        "token" text NOT NULL,
        "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_blind_token" PRIMARY KEY ("item_id", "key_id", "token")
      )`);
    await q.query(`CREATE INDEX "ix_blind_token_token" ON "${s}"."blind_token" ("key_id", "token")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${schemaOf(q)}"."blind_token"`);
  }
}
