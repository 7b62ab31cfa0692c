import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from './1765000000000-create-node-holdings.js';

/**
 * Each copy a node holds records when it must be erased (`kept_until`: the item's expiresAt or the
 * directory's retention for its type, whichever is first) and the purpose it was shared for. Copies kept
 * before this migration get three years from receipt, the directory's default.
 */
export class HoldingRetention1765200000000 implements MigrationInterface {
  name = 'HoldingRetention1765200000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`ALTER TABLE "${s}"."holding" ADD COLUMN "kept_until" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "${s}"."holding" ADD COLUMN "purpose" text NOT NULL DEFAULT ''`);
    await q.query(`UPDATE "${s}"."holding" SET "kept_until" = "received_at" + interval '1095 days'`);
    await q.query(`ALTER TABLE "${s}"."holding" ALTER COLUMN "kept_until" SET NOT NULL`);
    await q.query(`CREATE INDEX "ix_holding_kept_until" ON "${s}"."holding" ("kept_until")`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP INDEX "${s}"."ix_holding_kept_until"`);
    await q.query(`ALTER TABLE "${s}"."holding" DROP COLUMN "purpose"`);
    await q.query(`ALTER TABLE "${s}"."holding" DROP COLUMN "kept_until"`);
  }
}
