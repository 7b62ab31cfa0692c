import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { AuditOperation, keyIdOf, MsxError, nameBasedId, newAuditEvent, publicKeyDer } from '#contracts';
import { createTestSchema, type TestSchema } from '#testing';
import { msToUs } from './audit-chain.js';
import { openAuditStore } from './audit-data-source.js';
import { partitionName } from './audit-partitions.js';
import { AuditRepository, toChainedFields } from './audit-repository.js';
import {
  runAuditRetention,
  type AuditRetentionRequest,
  type AuditRetentionResult,
} from './audit-retention.js';
import { auditRoles } from './audit-roles.js';
import { chainRows, insertChainedRows } from './chained-row.js';
import { AuditCheckpointStore, signCheckpointAt } from './checkpoint-store.js';
import type { AuditSigningKey } from './signing-key.js';
import { verifyAuditChain } from './verify-audit-chain.js';

function testKey(): AuditSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKeyDer(publicKey);
  return { privateKey, publicKey, publicKeyDer: der, keyId: keyIdOf(der), path: '(test)', generated: true };
}

/** The first instant of the UTC month `k` months before the current one. */
function monthsAgo(k: number): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - k, 1));
}

const JUSTIFICATION = 'Retention period of the audit trail (5 years) ended; DPO decision 2026/17';

/**
 * Retention by partition against a real PostgreSQL. Each case builds a trail of 110 rows: rows 1–40 recorded
 * three months ago, 41–70 two months ago, 71–100 last month (written straight into those months' partitions
 * through the normal chained insert, as the chain writer would have), 101–110 now through the repository;
 * checkpoints are stored at 50 and 110.
 */
describe('audit retention by partition', () => {
  let db: TestSchema;
  let ds: DataSource;
  let repo: AuditRepository;
  let store: AuditCheckpointStore;
  let key: AuditSigningKey;
  let roles: ReturnType<typeof auditRoles>;
  let next = 0;

  const table = () => `"${db.schema}".audit_entry`;
  const event = (recordedMs = Date.now()) => ({
    publisher: 'msx-router',
    event: newAuditEvent(
      {
        eventId: nameBasedId('retention-test', String(++next)),
        operation: AuditOperation.DELIVERED,
        actorNode: 'msx-router',
        counterpartNode: 'cp-it',
        messageId: `m-${next}`,
        rule: 'POLICY.ALLOWED',
      },
      recordedMs,
    ),
  });

  /** Appends `count` rows recorded in the month starting at `month`, chained onto the head. */
  async function appendInMonth(month: Date, count: number): Promise<void> {
    const head = await repo.head();
    const fields = Array.from({ length: count }, (_, i) => {
      const recordedMs = month.getTime() + (i + 1) * 60_000;
      return toChainedFields(event(recordedMs), head.treeSize + BigInt(i + 1), msToUs(recordedMs));
    });
    await ds.transaction(async (m) => {
      await m.query(`SET LOCAL ROLE "${roles.writer}"`);
      await m.query(`SELECT "${db.schema}".audit_ensure_partition($1)`, [month.toISOString()]);
      await insertChainedRows(m, db.schema, chainRows(head.headHash, fields));
      await m.query(
        `INSERT INTO "${db.schema}".audit_event_id (publisher, event_id) SELECT * FROM unnest($1::text[], $2::uuid[])`,
        [fields.map((f) => f.publisher), fields.map((f) => f.eventId)],
      );
    });
  }

  const retain = (before: Date, over: Partial<AuditRetentionRequest> = {}) =>
    runAuditRetention(
      ds,
      { before, justification: JUSTIFICATION, actorPerson: 'dpo.jansen', ...over },
      { key, logId: db.schema },
    );
  const verify = async () =>
    verifyAuditChain({ url: db.url, schema: db.schema }, await store.all(), {
      trustedKeys: [key.publicKeyDer],
    });
  const refusal = async (work: Promise<unknown>) => {
    const err = await work.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MsxError);
    return { code: (err as MsxError).code, message: (err as MsxError).message };
  };

  /** What a retention could change: rows, event ids, checkpoints, partitions. */
  async function snapshot() {
    const [counts] = await db.query<{
      rows: string;
      head: string;
      event_ids: string;
      checkpoints: string;
    }>(
      `SELECT (SELECT count(*) FROM ${table()})::text AS rows,
              (SELECT max(seq) FROM ${table()})::text AS head,
              (SELECT count(*) FROM "${db.schema}".audit_event_id)::text AS event_ids,
              (SELECT string_agg(tree_size::text, ',' ORDER BY tree_size) FROM "${db.schema}".audit_checkpoint) AS checkpoints`,
    );
    const parts = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass ORDER BY 1`,
      [table()],
    );
    return { ...counts, partitions: parts.map((p) => p.name) };
  }

  /** Runs `sql` in a transaction as `role`; returns the error message, or 'no error'. */
  async function attempt(role: string, sql: string): Promise<string> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL ROLE "${role}"`);
      await client.query(sql);
      return 'no error';
    } catch (err) {
      return (err as Error).message;
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    }
  }

  beforeEach(async () => {
    db = await createTestSchema('retention');
    ds = await openAuditStore({ url: db.url, schema: db.schema });
    repo = new AuditRepository(ds);
    store = new AuditCheckpointStore(ds);
    roles = auditRoles(db.schema);
    key = testKey();
    await appendInMonth(monthsAgo(3), 40);
    await appendInMonth(monthsAgo(2), 10);
    const at50 = await repo.head();
    await store.save(signCheckpointAt(key, db.schema, at50.treeSize, at50.headHash));
    await appendInMonth(monthsAgo(2), 20);
    await appendInMonth(monthsAgo(1), 30);
    expect(await repo.append(Array.from({ length: 10 }, () => event()))).toBe(10);
    const at110 = await repo.head();
    await store.save(signCheckpointAt(key, db.schema, at110.treeSize, at110.headHash));
    expect(await verify()).toMatchObject({ ok: true, rowsVerified: 110 });
  });

  afterEach(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('drops the partitions before the boundary and leaves a chain that verifies from a checkpoint there', async () => {
    const [{ row_hash: hashAt70 }] = await db.query<{ row_hash: string }>(
      `SELECT row_hash FROM ${table()} WHERE seq = 70`,
    );
    const before = await snapshot();

    const result = await retain(monthsAgo(1));

    expect(result.plan).toMatchObject({
      partitions: [
        { name: partitionName(monthsAgo(3)), rows: 40, firstSeq: '1', lastSeq: '40' },
        { name: partitionName(monthsAgo(2)), rows: 30, firstSeq: '41', lastSeq: '70' },
      ],
      rows: 70,
      firstSeq: '1',
      lastSeq: '70',
      remainingFirstSeq: '71',
    });
    expect(result.unchanged).toBe(false);
    expect(result.boundary).toMatchObject({
      created: true,
      checkpoint: { treeSize: 70n, headHash: hashAt70, keyId: key.keyId, logId: db.schema },
    });
    const after = await snapshot();
    expect(after.partitions).toEqual(
      before.partitions.filter((p) => p !== partitionName(monthsAgo(3)) && p !== partitionName(monthsAgo(2))),
    );
    expect(after.partitions).toContain(partitionName(monthsAgo(1)));
    expect(after).toMatchObject({ rows: '41', head: '111', event_ids: '111', checkpoints: '50,70,110' });

    const report = await verify();
    expect(report).toMatchObject({ ok: true, firstSeq: '71', lastSeq: '111', rowsVerified: 41 });
    expect(report.checkpointsMatched).toBeGreaterThanOrEqual(2); // the anchor at 70 and the checkpoint at 110

    // Exactly-once outlives retention: an event whose row was dropped is still not stored again.
    next = 0;
    expect(await repo.append([event()])).toBe(0);
  });

  it('records the retention itself as an erased row in the chain, with who, why and what', async () => {
    const [{ row_hash: hashAt110 }] = await db.query<{ row_hash: string }>(
      `SELECT row_hash FROM ${table()} WHERE seq = 110`,
    );
    const result = await retain(monthsAgo(1));
    expect(result.auditRow?.seq).toBe('111');

    const [row] = await db.query<Record<string, unknown>>(`SELECT * FROM ${table()} WHERE seq = 111`);
    expect(row).toMatchObject({
      event_id: result.auditRow?.eventId,
      publisher: 'msx-audit',
      operation: 'erased',
      actor_node: 'msx-audit',
      actor_person: 'dpo.jansen',
      rule: 'AUDIT.RETENTION',
      justification: JUSTIFICATION,
      prev_hash: hashAt110,
      detail: {
        before: monthsAgo(1).toISOString(),
        partitions: [partitionName(monthsAgo(3)), partitionName(monthsAgo(2))],
        rows: 70,
        firstSeq: '1',
        lastSeq: '70',
        checkpoint: { treeSize: '70', keyId: key.keyId },
      },
    });
    expect((await verify()).ok).toBe(true); // so its hash is right and it links to row 110
  });

  it('refuses without a justification, for the current month and at a time that is not a month boundary', async () => {
    const before = await snapshot();
    const now = new Date();
    const cases: [Promise<AuditRetentionResult>, string, RegExp][] = [
      [retain(monthsAgo(1), { justification: '' }), 'AUDIT.RETENTION_NO_JUSTIFICATION', /required/],
      [retain(monthsAgo(1), { justification: '  \n ' }), 'AUDIT.RETENTION_NO_JUSTIFICATION', /required/],
      [
        retain(monthsAgo(1), { justification: 'x'.repeat(1001) }),
        'AUDIT.RETENTION_NO_JUSTIFICATION',
        /1001 characters; at most 1000/,
      ],
      [retain(monthsAgo(-1)), 'AUDIT.RETENTION_CURRENT_MONTH', /would drop the current month/],
      [retain(monthsAgo(-6)), 'AUDIT.RETENTION_CURRENT_MONTH', /would drop the current month/],
      [
        retain(new Date(monthsAgo(1).getTime() + 86_400_000)),
        'AUDIT.RETENTION_NOT_MONTH_BOUNDARY',
        /is not a month boundary/,
      ],
      [retain(now), 'AUDIT.RETENTION_NOT_MONTH_BOUNDARY', /is not a month boundary/],
    ];
    for (const [work, code, message] of cases) {
      const r = await refusal(work);
      expect(r.code).toBe(code);
      expect(r.message).toMatch(message);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses partitions that do not hold a prefix of the chain', async () => {
    // An insider moves row 80 (last month) back into a dropped month.
    const parts = await db.query<{ t: string }>(
      `SELECT inhrelid::regclass::text AS t FROM pg_inherits WHERE inhparent = $1::regclass`,
      [table()],
    );
    await db.query(
      [
        'BEGIN',
        ...[table(), ...parts.map((p) => p.t)].map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER`),
        `UPDATE ${table()} SET recorded_at = '${new Date(monthsAgo(2).getTime() + 3_600_000 * 24 * 10).toISOString()}' WHERE seq = 80`,
        'COMMIT',
      ].join(';\n'),
    );
    const before = await snapshot();
    const r = await refusal(retain(monthsAgo(1)));
    expect(r).toEqual({
      code: 'AUDIT.RETENTION_NOT_PREFIX',
      message: expect.stringMatching(/not a prefix of the chain: row 71 would remain although rows up to 80/),
    });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses to sign over or drop a trail that does not verify', async () => {
    const parts = await db.query<{ t: string }>(
      `SELECT inhrelid::regclass::text AS t FROM pg_inherits WHERE inhparent = $1::regclass`,
      [table()],
    );
    await db.query(
      [
        'BEGIN',
        ...[table(), ...parts.map((p) => p.t)].map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER`),
        `UPDATE ${table()} SET counterpart_node = 'afic-partner-ne' WHERE seq = 60`,
        ...[table(), ...parts.map((p) => p.t)].flatMap((t) => [
          `ALTER TABLE ${t} ENABLE ALWAYS TRIGGER audit_entry_append_only`,
          `ALTER TABLE ${t} ENABLE ALWAYS TRIGGER audit_entry_append_only_stmt`,
        ]),
        'COMMIT',
      ].join(';\n'),
    );
    const before = await snapshot();
    const r = await refusal(retain(monthsAgo(1)));
    expect(r.code).toBe('AUDIT.RETENTION_CHAIN_INVALID');
    expect(r.message).toMatch(/ROW_ALTERED at row 60/);
    expect(await snapshot()).toEqual(before);
  });

  it('still refuses DELETE, DETACH and DROP TABLE of a partition outside the command', async () => {
    const part = `"${db.schema}".${partitionName(monthsAgo(3))}`;
    const check = async (partition: string) => {
      expect(await attempt(roles.writer, `DELETE FROM ${partition}`)).toMatch(/permission denied for table/);
      expect(await attempt(roles.writer, `DROP TABLE ${partition}`)).toMatch(/must be owner of table/);
      expect(await attempt(roles.writer, `ALTER TABLE ${table()} DETACH PARTITION ${partition}`)).toMatch(
        /must be owner of table/,
      );
      expect(await attempt(roles.auditor, `DROP TABLE ${partition}`)).toMatch(/must be owner of table/);
      expect(await attempt(roles.owner, `DELETE FROM ${partition}`)).toMatch(/is append-only: DELETE/);
      expect(await attempt(roles.owner, `TRUNCATE ${partition}`)).toMatch(/is append-only: TRUNCATE/);
    };
    await check(part);
    await retain(monthsAgo(1));
    // After a retention, the remaining partitions are guarded exactly as before.
    const remaining = `"${db.schema}".${partitionName(monthsAgo(1))}`;
    await check(remaining);
    const triggers = await db.query<{ tgname: string; tgenabled: string }>(
      `SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = $1::regclass ORDER BY tgname`,
      [remaining],
    );
    expect(triggers).toEqual([
      { tgname: 'audit_entry_append_only', tgenabled: 'A' },
      { tgname: 'audit_entry_append_only_stmt', tgenabled: 'A' },
    ]);
  });

  it('changes nothing in a dry run, but reports what would go', async () => {
    const before = await snapshot();
    const result = await retain(monthsAgo(1), { dryRun: true });
    expect(result).toMatchObject({
      unchanged: true,
      plan: { rows: 70, firstSeq: '1', lastSeq: '70', remainingFirstSeq: '71' },
    });
    expect(result.plan.partitions.map((p) => p.name)).toEqual([
      partitionName(monthsAgo(3)),
      partitionName(monthsAgo(2)),
    ]);
    expect(result.boundary).toBeUndefined();
    expect(result.auditRow).toBeUndefined();
    expect(await snapshot()).toEqual(before);
  });

  it('is harmless when run twice: the second run finds nothing to drop', async () => {
    const first = await retain(monthsAgo(1));
    expect(first.plan.partitions).toHaveLength(2);
    const between = await snapshot();

    const second = await retain(monthsAgo(1));
    expect(second).toMatchObject({ unchanged: true, plan: { partitions: [], rows: 0, firstSeq: null } });
    expect(second.auditRow).toBeUndefined();
    expect(await snapshot()).toEqual(between);
    expect(await verify()).toMatchObject({ ok: true, firstSeq: '71' });
  });

  it('keeps a checkpoint already stored at the boundary instead of signing another', async () => {
    const first = await retain(monthsAgo(2)); // drops three months ago: rows 1–40, signs a checkpoint at 40
    expect(first.boundary).toMatchObject({ created: true, checkpoint: { treeSize: 40n } });
    const at70 = await db.query<{ row_hash: string }>(`SELECT row_hash FROM ${table()} WHERE seq = 70`);
    const existing = signCheckpointAt(key, db.schema, 70n, at70[0].row_hash, Date.now() - 86_400_000);
    await store.save(existing);

    const second = await retain(monthsAgo(1));
    expect(second.boundary).toEqual({ created: false, checkpoint: existing });
    expect((await snapshot()).checkpoints).toBe('40,50,70,110');
    const report = await verify();
    expect(report).toMatchObject({ ok: true, firstSeq: '71', lastSeq: '112' });
  });

  it('waits for an append in progress, holding the chain lock the writer uses', async () => {
    const runner = ds.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await repo.appendIn(runner, [event()]); // row 111, not yet committed
    let settled = false;
    const retention = retain(monthsAgo(1)).finally(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(settled).toBe(false);
    await runner.commitTransaction();
    await runner.release();
    const result = await retention;
    expect(result.auditRow?.seq).toBe('112'); // after the append it waited for, not interleaved with it
    expect((await verify()).ok).toBe(true);
  });
});
