import type { MigrationInterface, QueryRunner } from 'typeorm';
import { auditRoles } from '../audit-roles.js';
import { schemaOf } from '../schema.js';

/**
 * One row per seq. The primary key of `audit_entry` is `(seq, recorded_at)`, because PostgreSQL requires the
 * partition key in every unique key of a partitioned table, so the INSERT-only writer could add a second row
 * with a seq already stored, under another time. This migration makes that impossible:
 *
 * - `audit_seq(seq)`, unpartitioned, with `seq` as its primary key, holds every seq ever stored;
 * - `audit_entry_one_row_per_seq`, an AFTER INSERT statement trigger on `audit_entry` (one set-based insert per
 *   statement, so a batch costs one more index insert per row, not one function call per row), claims the
 *   seqs of the inserted rows in `audit_seq`; a seq claimed before fails the whole statement.
 *
 * Why the writer cannot bypass it: the trigger is enabled ALWAYS (so `session_replication_role` does not
 * silence it) and only the owner of `audit_entry` may disable or drop it; its function runs as the owner
 * (SECURITY DEFINER), and the writer has no privilege at all on `audit_seq`, so it can neither pre-claim seqs
 * nor skip the claim; and the writer has no privilege on the partitions, so every insert it makes goes
 * through `audit_entry`, where the statement trigger fires. A seq claimed by a rolled-back insert is rolled
 * back with it. The table only grows, guarded like the others of the trail, and keeps the seqs of rows dropped
 * by retention, so those can never be stored again either.
 *
 * The seqs already stored are claimed here once each; a seq repeated before this migration stays for the
 * verifier to name.
 */
export class OneRowPerSeq1764600000001 implements MigrationInterface {
  name = 'OneRowPerSeq1764600000001';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    const roles = auditRoles(s);
    await q.query(`
      CREATE TABLE "${s}"."audit_seq" (
        "seq" bigint NOT NULL,
        CONSTRAINT "PK_audit_seq" PRIMARY KEY ("seq")
      )`);
    await q.query(`INSERT INTO "${s}"."audit_seq" (seq) SELECT DISTINCT seq FROM "${s}"."audit_entry"`);
    await q.query(`ALTER TABLE "${s}"."audit_seq" OWNER TO "${roles.owner}"`);
    await q.query(`REVOKE ALL ON "${s}"."audit_seq" FROM PUBLIC`);
    await q.query(`GRANT SELECT ON "${s}"."audit_seq" TO "${roles.auditor}"`);
    await q.query(`
      CREATE TRIGGER "audit_seq_append_only" BEFORE UPDATE OR DELETE ON "${s}"."audit_seq"
      FOR EACH ROW EXECUTE FUNCTION "${s}".audit_reject_change('audit_seq')`);
    await q.query(`
      CREATE TRIGGER "audit_seq_append_only_stmt" BEFORE UPDATE OR DELETE OR TRUNCATE ON "${s}"."audit_seq"
      FOR EACH STATEMENT EXECUTE FUNCTION "${s}".audit_reject_change('audit_seq')`);
    await q.query(`ALTER TABLE "${s}"."audit_seq" ENABLE ALWAYS TRIGGER "audit_seq_append_only"`);
    await q.query(`ALTER TABLE "${s}"."audit_seq" ENABLE ALWAYS TRIGGER "audit_seq_append_only_stmt"`);

    await q.query(`
      CREATE FUNCTION "${s}".audit_claim_seq() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
      DECLARE
        taken text;
      BEGIN
        INSERT INTO "${s}"."audit_seq" (seq) SELECT seq FROM inserted_rows;
        RETURN NULL;
      EXCEPTION WHEN unique_violation THEN
        GET STACKED DIAGNOSTICS taken = PG_EXCEPTION_DETAIL;
        RAISE EXCEPTION 'audit trail table %.audit_entry has one row per seq: %', TG_TABLE_SCHEMA, taken
          USING ERRCODE = 'unique_violation', HINT = 'seqs are assigned only by the chain writer, after the head';
      END $fn$`);
    await q.query(`ALTER FUNCTION "${s}".audit_claim_seq() OWNER TO "${roles.owner}"`);
    await q.query(`REVOKE ALL ON FUNCTION "${s}".audit_claim_seq() FROM PUBLIC`);
    await q.query(`
      CREATE TRIGGER "audit_entry_one_row_per_seq" AFTER INSERT ON "${s}"."audit_entry"
      REFERENCING NEW TABLE AS inserted_rows
      FOR EACH STATEMENT EXECUTE FUNCTION "${s}".audit_claim_seq()`);
    await q.query(`ALTER TABLE "${s}"."audit_entry" ENABLE ALWAYS TRIGGER "audit_entry_one_row_per_seq"`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP TRIGGER "audit_entry_one_row_per_seq" ON "${s}"."audit_entry"`);
    await q.query(`DROP FUNCTION "${s}".audit_claim_seq()`);
    // The table only grows: its guards go first, as its owner may drop it.
    await q.query(`DROP TRIGGER "audit_seq_append_only_stmt" ON "${s}"."audit_seq"`);
    await q.query(`DROP TRIGGER "audit_seq_append_only" ON "${s}"."audit_seq"`);
    await q.query(`DROP TABLE "${s}"."audit_seq"`);
  }
}
