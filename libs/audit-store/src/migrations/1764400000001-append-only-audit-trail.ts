import type { MigrationInterface, QueryRunner } from 'typeorm';
import { auditRoles } from '../audit-roles.js';
import { schemaOf } from '../schema.js';

/** The tables of the trail that only ever grow. */
const APPEND_ONLY_TABLES = ['audit_entry', 'audit_event_id', 'audit_checkpoint'] as const;

/**
 * Append-only, first two layers (DESIGN §5; the third is the hash chain):
 *
 * - roles `<schema>_owner` (owns the tables), `<schema>_writer` (INSERT, and SELECT to read the chain head
 *   and skip stored event ids) and `<schema>_auditor` (SELECT), created idempotently because roles are
 *   cluster-wide; the user running migrations becomes a member of each so the services can `SET ROLE`;
 * - triggers that reject UPDATE, DELETE and TRUNCATE on every table of the trail and on every partition,
 *   enabled ALWAYS so that `session_replication_role = replica` does not silence them either.
 *
 * Dropping a partition is not a row operation; only the audited retention command does it, and the verifier
 * notices any other loss against the checkpoints.
 */
export class AppendOnlyAuditTrail1764400000001 implements MigrationInterface {
  name = 'AppendOnlyAuditTrail1764400000001';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    const roles = auditRoles(s);
    for (const role of Object.values(roles)) {
      await q.query(`
        DO $do$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN
            CREATE ROLE "${role}" NOLOGIN;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
          NULL; -- created at the same moment by another session
        END $do$`);
      await q.query(`GRANT "${role}" TO CURRENT_USER`);
    }
    await q.query(`GRANT USAGE, CREATE ON SCHEMA "${s}" TO "${roles.owner}"`);
    await q.query(`GRANT USAGE ON SCHEMA "${s}" TO "${roles.writer}", "${roles.auditor}"`);

    await q.query(`
      CREATE OR REPLACE FUNCTION "${s}".audit_reject_change() RETURNS trigger
      LANGUAGE plpgsql AS $fn$
      BEGIN
        RAISE EXCEPTION 'audit trail table %.% is append-only: % is not allowed', TG_TABLE_SCHEMA, TG_ARGV[0], TG_OP
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'the audit trail only grows; old partitions go only through the audited retention command';
      END $fn$`);

    for (const t of APPEND_ONLY_TABLES) {
      await q.query(`ALTER TABLE "${s}"."${t}" OWNER TO "${roles.owner}"`);
      await q.query(`REVOKE ALL ON "${s}"."${t}" FROM PUBLIC`);
      await q.query(`GRANT SELECT, INSERT ON "${s}"."${t}" TO "${roles.writer}"`);
      await q.query(`GRANT SELECT ON "${s}"."${t}" TO "${roles.auditor}"`);
      // Row triggers on a partitioned table are cloned to every partition, present and future.
      await q.query(`
        CREATE TRIGGER "${t}_append_only" BEFORE UPDATE OR DELETE ON "${s}"."${t}"
        FOR EACH ROW EXECUTE FUNCTION "${s}".audit_reject_change('${t}')`);
      // Statement triggers catch TRUNCATE, and UPDATE/DELETE that happen to match no row.
      await q.query(`
        CREATE TRIGGER "${t}_append_only_stmt" BEFORE UPDATE OR DELETE OR TRUNCATE ON "${s}"."${t}"
        FOR EACH STATEMENT EXECUTE FUNCTION "${s}".audit_reject_change('${t}')`);
      await q.query(`ALTER TABLE "${s}"."${t}" ENABLE ALWAYS TRIGGER "${t}_append_only"`);
      await q.query(`ALTER TABLE "${s}"."${t}" ENABLE ALWAYS TRIGGER "${t}_append_only_stmt"`);
    }

    // Statement triggers are not cloned to partitions: each partition gets its own, now and when created.
    await q.query(`
      CREATE OR REPLACE FUNCTION "${s}".audit_guard_partition(part text) RETURNS void
      LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
      BEGIN
        IF NOT EXISTS (SELECT FROM pg_trigger
                        WHERE tgrelid = format('%I.%I', '${s}', part)::regclass
                          AND tgname = 'audit_entry_append_only_stmt') THEN
          EXECUTE format('CREATE TRIGGER audit_entry_append_only_stmt BEFORE UPDATE OR DELETE OR TRUNCATE ON %I.%I
                          FOR EACH STATEMENT EXECUTE FUNCTION %I.audit_reject_change(%L)', '${s}', part, '${s}', 'audit_entry');
        END IF;
        EXECUTE format('ALTER TABLE %I.%I ENABLE ALWAYS TRIGGER audit_entry_append_only_stmt', '${s}', part);
        EXECUTE format('ALTER TABLE %I.%I ENABLE ALWAYS TRIGGER audit_entry_append_only', '${s}', part);
      END $fn$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION "${s}".audit_ensure_partition(at timestamptz) RETURNS text
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
      DECLARE
        month_start timestamp := date_trunc('month', at AT TIME ZONE 'UTC');
        part text := 'audit_entry_p' || to_char(month_start, 'YYYYMM');
      BEGIN
        IF to_regclass(format('%I.%I', '${s}', part)) IS NULL THEN
          BEGIN
            EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.audit_entry FOR VALUES FROM (%L) TO (%L)',
              '${s}', part, '${s}', month_start AT TIME ZONE 'UTC', (month_start + interval '1 month') AT TIME ZONE 'UTC');
            PERFORM "${s}".audit_guard_partition(part);
          EXCEPTION WHEN duplicate_table THEN
            NULL; -- created at the same moment by another session
          END;
        END IF;
        RETURN part;
      END $fn$`);
    const parts = (await q.query(
      `SELECT c.relname AS part FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = '"${s}"."audit_entry"'::regclass`,
    )) as { part: string }[];
    for (const { part } of parts) {
      await q.query(`ALTER TABLE "${s}"."${part}" OWNER TO "${roles.owner}"`);
      await q.query(`SELECT "${s}".audit_guard_partition($1)`, [part]);
    }
    // The partition function runs as the owner, so the writer may call it without any right to create tables.
    for (const fn of ['audit_ensure_partition(timestamptz)', 'audit_guard_partition(text)']) {
      await q.query(`ALTER FUNCTION "${s}".${fn} OWNER TO "${roles.owner}"`);
      await q.query(`REVOKE ALL ON FUNCTION "${s}".${fn} FROM PUBLIC`);
    }
    await q.query(
      `GRANT EXECUTE ON FUNCTION "${s}".audit_ensure_partition(timestamptz) TO "${roles.writer}"`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    const roles = auditRoles(s);
    for (const t of APPEND_ONLY_TABLES) {
      await q.query(`DROP TRIGGER "${t}_append_only_stmt" ON "${s}"."${t}"`);
      await q.query(`DROP TRIGGER "${t}_append_only" ON "${s}"."${t}"`);
      await q.query(`ALTER TABLE "${s}"."${t}" OWNER TO CURRENT_USER`);
    }
    const parts = (await q.query(
      `SELECT c.relname AS part FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = '"${s}"."audit_entry"'::regclass`,
    )) as { part: string }[];
    for (const { part } of parts) {
      await q.query(`DROP TRIGGER IF EXISTS audit_entry_append_only_stmt ON "${s}"."${part}"`);
      await q.query(`ALTER TABLE "${s}"."${part}" OWNER TO CURRENT_USER`);
    }
    await q.query(`ALTER FUNCTION "${s}".audit_ensure_partition(timestamptz) OWNER TO CURRENT_USER`);
    await q.query(`DROP FUNCTION "${s}".audit_guard_partition(text)`);
    await q.query(`DROP FUNCTION "${s}".audit_reject_change()`);
    await q.query(`DROP OWNED BY "${roles.writer}", "${roles.auditor}", "${roles.owner}"`);
    for (const role of Object.values(roles)) await q.query(`DROP ROLE IF EXISTS "${role}"`);
  }
}
