import type { MigrationInterface, QueryRunner } from 'typeorm';
import { nodeSchemaOf as schemaOf } from '#node-app';

/**
 * Each evidence row records the purposes its item serves (msx.v1.Purpose numbers): an alert rests only on
 * evidence that serves every purpose it states, and the maritime picture counts only evidence that serves risk
 * analysis. Rows recorded before could come only from items that named no purposes: a vessel report, route
 * report or debriefing serves criminal investigation (1), border management (3) and risk analysis (5).
 */
export class EvidencePurposes1766100000000 implements MigrationInterface {
  name = 'EvidencePurposes1766100000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(
      `ALTER TABLE "${s}"."vessel_evidence" ADD COLUMN "purposes" integer[] NOT NULL DEFAULT '{1,3,5}'`,
    );
    await q.query(`ALTER TABLE "${s}"."vessel_evidence" ALTER COLUMN "purposes" DROP DEFAULT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${schemaOf(q)}"."vessel_evidence" DROP COLUMN "purposes"`);
  }
}
