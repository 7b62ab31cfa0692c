import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GENESIS_HASH } from '../audit-chain.js';
import { chainRows, chainedRowOf, CHAINED_FIELDS_SELECT, insertChainedRows } from '../chained-row.js';
import { schemaOf } from '../schema.js';

/** Rows copied per statement when chaining the rows recorded before this migration. */
const COPY_BATCH = 5_000;

/**
 * Makes the trail hash-chained and partitioned by month of `recorded_at` (DESIGN §5):
 *
 * - `audit_entry` becomes a range-partitioned table with `prev_hash` and `row_hash`; `seq` is assigned by the
 *   single chain writer (no sequence) and the primary key is `(seq, recorded_at)`, as PostgreSQL requires the
 *   partition key in every unique key;
 * - exactly-once moves to `audit_event_id`, an unpartitioned table whose primary key is the event id: it stays
 *   when old partitions are dropped, so an ancient event redelivered after retention is still not stored again;
 * - `audit_checkpoint` keeps the signed checkpoints (tree size, head hash) over the chain;
 * - `audit_ensure_partition(at)` creates the month's partition on demand.
 *
 * Rows recorded before the chain existed are chained here in their original order, renumbered densely from 1
 * (the old sequence had gaps where inserts were skipped), with their recorded time unchanged.
 */
export class ChainAndPartitionAuditEntry1764400000000 implements MigrationInterface {
  name = 'ChainAndPartitionAuditEntry1764400000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`ALTER TABLE "${s}"."audit_entry" RENAME TO "audit_entry_unchained"`);
    await q.query(
      `ALTER TABLE "${s}"."audit_entry_unchained" RENAME CONSTRAINT "PK_audit_entry_seq" TO "PK_audit_entry_unchained_seq"`,
    );
    for (const ix of [
      'uq_audit_entry_event_id',
      'ix_audit_entry_message_id',
      'ix_audit_entry_actor_node',
      'ix_audit_entry_counterpart_node',
      'ix_audit_entry_actor_person',
    ]) {
      await q.query(`ALTER INDEX "${s}"."${ix}" RENAME TO "${ix}_unchained"`);
    }

    await q.query(`
      CREATE TABLE "${s}"."audit_entry" (
        "seq" bigint NOT NULL,
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
        "prev_hash" character(64) NOT NULL,
        "row_hash" character(64) NOT NULL,
        CONSTRAINT "PK_audit_entry_seq_recorded_at" PRIMARY KEY ("seq", "recorded_at")
      ) PARTITION BY RANGE ("recorded_at")`);
    await q.query(`CREATE INDEX "ix_audit_entry_event_id" ON "${s}"."audit_entry" ("event_id")`);
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

    await q.query(`
      CREATE TABLE "${s}"."audit_event_id" (
        "event_id" uuid NOT NULL,
        CONSTRAINT "PK_audit_event_id" PRIMARY KEY ("event_id")
      )`);
    await q.query(`
      CREATE TABLE "${s}"."audit_checkpoint" (
        "tree_size" bigint NOT NULL,
        "head_hash" character(64) NOT NULL,
        "signed_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "log_id" text NOT NULL,
        "key_id" text NOT NULL,
        "public_key" text NOT NULL,
        "signature" text NOT NULL,
        CONSTRAINT "PK_audit_checkpoint_tree_size" PRIMARY KEY ("tree_size")
      )`);

    await q.query(ensurePartitionFunction(s));
    const months = (await q.query(
      `SELECT DISTINCT date_trunc('month', recorded_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS m
         FROM "${s}"."audit_entry_unchained"
       UNION SELECT now() UNION SELECT now() + interval '1 month'`,
    )) as { m: Date }[];
    for (const { m } of months) await q.query(`SELECT "${s}".audit_ensure_partition($1)`, [m]);

    await copyUnchainedRows(q, s);
    await q.query(`DROP TABLE "${s}"."audit_entry_unchained"`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP FUNCTION "${s}".audit_ensure_partition(timestamptz)`);
    await q.query(`DROP TABLE "${s}"."audit_checkpoint"`);
    await q.query(`DROP TABLE "${s}"."audit_event_id"`);
    await q.query(`DROP TABLE "${s}"."audit_entry"`);
    // The chain cannot be undone into the old table without losing its hashes; recreate it empty.
    await q.query(`
      CREATE TABLE "${s}"."audit_entry" (
        "seq" BIGSERIAL NOT NULL, "event_id" uuid NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "operation" text NOT NULL,
        "actor_node" text NOT NULL, "actor_person" text, "counterpart_node" text, "message_id" text,
        "message_type" text, "handling_code" text, "tlp" text, "message_sha256" character(64), "rule" text,
        "justification" text, "detail" jsonb NOT NULL DEFAULT '{}', "correlation_id" text,
        CONSTRAINT "PK_audit_entry_seq" PRIMARY KEY ("seq"))`);
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
}

/** `audit_ensure_partition(at)`: creates the partition for the UTC month of `at` unless it exists; returns its name. */
function ensurePartitionFunction(s: string): string {
  return `
    CREATE OR REPLACE FUNCTION "${s}".audit_ensure_partition(at timestamptz) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
    DECLARE
      month_start timestamp := date_trunc('month', at AT TIME ZONE 'UTC');
      part text := 'audit_entry_p' || to_char(month_start, 'YYYYMM');
    BEGIN
      IF to_regclass(format('%I.%I', '${s}', part)) IS NULL THEN
        BEGIN
          EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.audit_entry FOR VALUES FROM (%L) TO (%L)',
            '${s}', part, '${s}', month_start AT TIME ZONE 'UTC', (month_start + interval '1 month') AT TIME ZONE 'UTC');
        EXCEPTION WHEN duplicate_table THEN
          NULL; -- created at the same moment by another session
        END;
      END IF;
      RETURN part;
    END $fn$`;
}

/** Chains the rows of the pre-chain table into the new one, in their original order. */
async function copyUnchainedRows(q: QueryRunner, s: string): Promise<void> {
  let prev = GENESIS_HASH;
  let seq = 0n;
  let after = '0';
  for (;;) {
    const rows = (await q.query(
      `SELECT ${CHAINED_FIELDS_SELECT}
         FROM "${s}"."audit_entry_unchained" WHERE seq > $1 ORDER BY seq LIMIT ${COPY_BATCH}`,
      [after],
    )) as Record<string, string | null>[];
    if (rows.length === 0) return;
    after = rows[rows.length - 1].seq_text as string;
    const fields = rows.map((r) => {
      const f = chainedRowOf(Object.values(r)).fields;
      seq += 1n;
      return { ...f, seq: seq.toString() };
    });
    const chained = chainRows(prev, fields);
    prev = chained[chained.length - 1].rowHash;
    await insertChainedRows(q, s, chained);
    await q.query(`INSERT INTO "${s}"."audit_event_id" (event_id) SELECT unnest($1::uuid[])`, [
      fields.map((f) => f.eventId),
    ]);
  }
}
