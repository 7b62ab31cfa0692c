import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema.js';

/**
 * The trail of an item includes the rows of the control messages and forwarded copies that concern it
 * (acknowledgements, share requests and decisions, recalls, erasure receipts), which name it in
 * `detail.concerns`. `ix_audit_entry_concerns` finds them as `ix_audit_entry_message_id` finds the item's own
 * rows, so the trail query stays two index lookups however long the trail grows.
 *
 * An expression index, partial: only rows that concern another item are in it. Created on the partitioned
 * table, it reaches every partition, present and future.
 */
export class TrailOfConcernedItem1764600000000 implements MigrationInterface {
  name = 'TrailOfConcernedItem1764600000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(
      `CREATE INDEX "ix_audit_entry_concerns" ON "${s}"."audit_entry" ((detail ->> 'concerns'))
        WHERE (detail ->> 'concerns') IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "${schemaOf(q)}"."ix_audit_entry_concerns"`);
  }
}
