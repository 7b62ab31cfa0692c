import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from './1765000000000-create-node-holdings.js';

const CI = 'criminal-investigation';
const BM = 'border-management';
const RA = 'risk-analysis';

/**
 * What an item of each type served before items could name purposes: its type's defaults at the time this
 * migration was written (kept here, so that a later change of the defaults does not rewrite the past).
 */
const SERVED_BEFORE: Record<string, string[]> = {
  routeReport: [CI, BM, RA],
  modusOperandiReport: [CI, BM, RA],
  financialLead: [CI, 'financial-investigation'],
  suspectVesselReport: [CI, BM, RA],
  documentFraudReport: [CI, BM, RA],
  internetContentReferral: [CI, 'content-removal'],
  debriefingReport: [CI, BM, RA],
  vesselAlert: [CI, BM],
  analysisProduct: [CI, BM, RA],
};

/**
 * Each copy a node holds records the purposes it serves (`purposes`: the labels its sender named, or its
 * type's defaults), as auditors read them; the node checks each use against the copy's envelope, which
 * states the same. Copies kept before get their type's defaults, which is what they served; a control
 * message kept (a cross-check, a hit notice, a blind answer) serves none.
 */
export class HoldingPurposes1766000000000 implements MigrationInterface {
  name = 'HoldingPurposes1766000000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`ALTER TABLE "${s}"."holding" ADD COLUMN "purposes" text[] NOT NULL DEFAULT '{}'`);
    for (const [type, purposes] of Object.entries(SERVED_BEFORE))
      await q.query(`UPDATE "${s}"."holding" SET "purposes" = $2 WHERE "message_type" = $1`, [
        type,
        purposes,
      ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${schemaOf(q)}"."holding" DROP COLUMN "purposes"`);
  }
}
