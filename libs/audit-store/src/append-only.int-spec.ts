import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { AuditOperation, nameBasedId, newAuditEvent } from '#contracts';
import { createTestSchema, type TestSchema } from '#testing';
import { openAuditStore } from './audit-data-source.js';
import { auditRoles } from './audit-roles.js';
import { AuditRepository } from './audit-repository.js';

/** The first two layers of append-only (roles, triggers) against a real PostgreSQL, in an own schema. */
describe('the audit trail is append-only', () => {
  let db: TestSchema;
  let ds: DataSource;
  let roles: ReturnType<typeof auditRoles>;
  let partition: string;

  beforeAll(async () => {
    db = await createTestSchema('append_only');
    ds = await openAuditStore({ url: db.url, schema: db.schema });
    roles = auditRoles(db.schema);
    const repo = new AuditRepository(ds);
    const events = Array.from({ length: 3 }, (_, i) =>
      newAuditEvent({
        eventId: nameBasedId('append-only', String(i)),
        operation: AuditOperation.SUBMITTED,
        actorNode: 'emlo-ne',
      }),
    );
    expect(await repo.append(events.map((event) => ({ publisher: 'emlo-ne', event })))).toBe(3);
    [{ partition }] = await db.query<{ partition: string }>(
      `SELECT tableoid::regclass::text AS partition FROM "${db.schema}".audit_entry LIMIT 1`,
    );
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  /** Runs `sql` in a transaction as `role` (or as the connecting superuser when null); returns the error. */
  async function attempt(role: string | null, sql: string, setup = ''): Promise<string> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      if (setup) await client.query(setup);
      if (role) await client.query(`SET LOCAL ROLE "${role}"`);
      await client.query(sql);
      return 'no error';
    } catch (err) {
      return (err as Error).message;
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    }
  }

  const t = () => `"${db.schema}".audit_entry`;
  const appendOnly = (op: string) =>
    new RegExp(`audit trail table ${db.schema}\\.audit_entry is append-only: ${op} is not allowed`);

  it('names its roles after the schema, so parallel schemas do not share them', async () => {
    const names = await db.query<{ rolname: string }>(
      `SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1) ORDER BY rolname`,
      [`${db.schema}_`],
    );
    expect(names.map((r) => r.rolname)).toEqual([roles.auditor, roles.owner, roles.writer]);
    const [owner] = await db.query<{ owner: string }>(
      `SELECT tableowner AS owner FROM pg_tables WHERE schemaname = $1 AND tablename = 'audit_entry_p' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMM')`,
      [db.schema],
    );
    expect(owner).toEqual({ owner: roles.owner });
  });

  it('lets the writer insert and read, but not update, delete or truncate', async () => {
    expect(await attempt(roles.writer, `SELECT count(*) FROM ${t()}`)).toBe('no error');
    expect(await attempt(roles.writer, `UPDATE ${t()} SET rule = 'x'`)).toMatch(
      /permission denied for table audit_entry/,
    );
    expect(await attempt(roles.writer, `DELETE FROM ${t()}`)).toMatch(
      /permission denied for table audit_entry/,
    );
    expect(await attempt(roles.writer, `TRUNCATE ${t()}`)).toMatch(/permission denied for table audit_entry/);
    expect(await attempt(roles.writer, `DROP TABLE ${t()}`)).toMatch(/must be owner/);
  });

  it('refuses update, delete and truncate even to the owner, naming the table', async () => {
    expect(await attempt(roles.owner, `UPDATE ${t()} SET rule = 'x'`)).toMatch(appendOnly('UPDATE'));
    expect(await attempt(roles.owner, `DELETE FROM ${t()} WHERE seq = 2`)).toMatch(appendOnly('DELETE'));
    expect(await attempt(roles.owner, `TRUNCATE ${t()}`)).toMatch(appendOnly('TRUNCATE'));
  });

  it('refuses the same on a partition addressed directly', async () => {
    expect(await attempt(roles.owner, `UPDATE ${partition} SET rule = 'x'`)).toMatch(appendOnly('UPDATE'));
    expect(await attempt(roles.owner, `DELETE FROM ${partition}`)).toMatch(appendOnly('DELETE'));
    expect(await attempt(roles.owner, `TRUNCATE ${partition}`)).toMatch(appendOnly('TRUNCATE'));
  });

  it('keeps refusing with replication-mode triggers off (the triggers are enabled ALWAYS)', async () => {
    const replica = 'SET LOCAL session_replication_role = replica';
    expect(await attempt(null, `UPDATE ${t()} SET rule = 'x'`, replica)).toMatch(appendOnly('UPDATE'));
    expect(await attempt(null, `DELETE FROM ${partition}`, replica)).toMatch(appendOnly('DELETE'));
  });

  it('keeps one row per seq: no one stores a second row under a stored seq, and the writer cannot get around it', async () => {
    // Row 2 again under another time: the primary key (seq, recorded_at) alone would let it in.
    const again = `INSERT INTO ${t()} SELECT (json_populate_record(e, json_build_object(
      'recorded_at', e.recorded_at + interval '1 second', 'event_id', gen_random_uuid()))).* FROM ${t()} e WHERE seq = 2`;
    const oneRowPerSeq = new RegExp(
      `audit trail table ${db.schema}\\.audit_entry has one row per seq: Key \\(seq\\)=\\(2\\) already exists`,
    );
    expect(await attempt(roles.writer, again)).toMatch(oneRowPerSeq);
    expect(await attempt(roles.owner, again)).toMatch(oneRowPerSeq);
    expect(await attempt(null, again, 'SET LOCAL session_replication_role = replica')).toMatch(oneRowPerSeq);
    // The writer can neither silence the trigger, nor write seqs itself, nor go round the parent table.
    expect(await attempt(roles.writer, 'SET LOCAL session_replication_role = replica')).toMatch(
      /permission denied to set parameter "session_replication_role"/,
    );
    expect(
      await attempt(roles.writer, `ALTER TABLE ${t()} DISABLE TRIGGER audit_entry_one_row_per_seq`),
    ).toMatch(/must be owner of table audit_entry/);
    expect(await attempt(roles.writer, `INSERT INTO "${db.schema}".audit_seq VALUES (4)`)).toMatch(
      /permission denied for table audit_seq/,
    );
    expect(
      await attempt(roles.writer, `INSERT INTO ${partition} SELECT * FROM ${t()} WHERE seq = 2`),
    ).toMatch(/permission denied for table audit_entry_p/);
    const [{ n }] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${t()} WHERE seq = 2`);
    expect(n).toBe('1');
  });

  it('guards the event ids, the seqs and the checkpoints the same way', async () => {
    for (const table of ['audit_event_id', 'audit_seq', 'audit_checkpoint']) {
      const error = new RegExp(
        `audit trail table ${db.schema}\\.${table} is append-only: DELETE is not allowed`,
      );
      expect(await attempt(roles.owner, `DELETE FROM "${db.schema}".${table}`)).toMatch(error);
      expect(await attempt(roles.writer, `DELETE FROM "${db.schema}".${table}`)).toMatch(/permission denied/);
    }
  });

  it('lets the auditor read but not insert', async () => {
    expect(await attempt(roles.auditor, `SELECT count(*) FROM ${t()}`)).toBe('no error');
    expect(
      await attempt(roles.auditor, `INSERT INTO "${db.schema}".audit_event_id VALUES (gen_random_uuid())`),
    ).toMatch(/permission denied for table audit_event_id/);
    expect(await attempt(roles.auditor, `INSERT INTO ${t()} SELECT * FROM ${t()} LIMIT 1`)).toMatch(
      /permission denied for table audit_entry/,
    );
  });

  it('still holds every row after all those attempts', async () => {
    const [{ n }] = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${t()} WHERE rule IS NULL`,
    );
    expect(n).toBe('3');
  });
});
