import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema.js';

/** The audit trail table and the indexes its queries need (by message, by party, by officer). */
export class CreateAuditEntry1764370000000 implements MigrationInterface {
  name = 'CreateAuditEntry1764370000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE "${s}"."audit_entry" (
        "seq" BIGSERIAL NOT NULL,
        "event_id" uuid NOT NULL,
        "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "operation" text NOT NULL,
        "actor_node" text NOT NULL,
        "actor_person" text,
        "counterpart_node" text,
        "message_id" text,
        "message_type" text,
        "handling_code" text,
        "tlp" text,
        "message_sha256" character(64),
        "rule" text,
        "justification" text,
        "detail" jsonb NOT NULL DEFAULT '{}',
        "correlation_id" text,
        CONSTRAINT "PK_audit_entry_seq" PRIMARY KEY ("seq")
      )`);
    await q.query(`CREATE UNIQUE INDEX "uq_audit_entry_event_id" ON "${s}"."audit_entry" ("event_id")`);
    await q.query(`CREATE INDEX "ix_audit_entry_message_id" ON "${s}"."audit_entry" ("message_id")`);
    await q.query(
      `CREATE INDEX "ix_audit_entry_actor_node" ON "${s}"."audit_entry" ("actor_node", "occurred_at")`,
    );
    await q.query(
      `CREATE INDEX "ix_audit_entry_counterpart_node" ON "${s}"."audit_entry" ("counterpart_node", "occurred_at")`,
    );
    await q.query(
      `CREATE INDEX "ix_audit_entry_actor_person" ON "${s}"."audit_entry" ("actor_person", "occurred_at")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${schemaOf(q)}"."audit_entry"`);
  }
}
