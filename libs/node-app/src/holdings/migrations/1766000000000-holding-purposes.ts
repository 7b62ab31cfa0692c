import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from './1765000000000-create-node-holdings.js';

/**
 * Each copy a node holds records the purposes it serves (`purposes`: the labels its sender named, or its
 * type's defaults), which the node's uses are checked against. Copies kept before this migration have none
 * recorded here; their envelope, kept beside, still states them.
 */
export class HoldingPurposes1766000000000 implements MigrationInterface {
  name = 'HoldingPurposes1766000000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`ALTER TABLE "${s}"."holding" ADD COLUMN "purposes" text[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${schemaOf(q)}"."holding" DROP COLUMN "purposes"`);
  }
}
