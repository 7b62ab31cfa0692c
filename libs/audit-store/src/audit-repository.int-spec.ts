import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { QueryRunnerProviderAlreadyReleasedError, type DataSource } from 'typeorm';
import { AuditOperation, HandlingCode, nameBasedId, newAuditEvent, Tlp } from '#contracts';
import { createTestSchema, freePort, type TestSchema } from '#testing';
import { canonicalJson, type ChainedFields } from './audit-chain.js';
import { openAuditStore } from './audit-data-source.js';
import { AuditRepository } from './audit-repository.js';
import { chainRows, insertChainedRows } from './chained-row.js';
import { classifyStorageError } from './storage-errors.js';
import { verifyAuditChain } from './verify-audit-chain.js';

describe('AuditRepository on a real PostgreSQL', () => {
  let db: TestSchema;
  let ds: DataSource;
  let repo: AuditRepository;

  beforeAll(async () => {
    db = await createTestSchema('audit_repo');
    ds = await openAuditStore({ url: db.url, schema: db.schema });
    repo = new AuditRepository(ds);
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  const event = (messageId: string, op: AuditOperation, recipient = '') => ({
    publisher: 'msx-router',
    event: newAuditEvent({
      eventId: nameBasedId(messageId, String(op), recipient),
      operation: op,
      actorNode: 'emlo-ne',
      actorPerson: 'emlo-ne.officer-17',
      counterpartNode: recipient,
      messageId,
      messageType: 'routeReport',
      handlingCode: HandlingCode.H2,
      tlp: Tlp.AMBER_STRICT,
      messageSha256: 'a'.repeat(64),
      rule: 'POLICY.ALLOWED',
      detailJson: JSON.stringify({ reason: 'subscribed' }),
    }),
  });

  it('creates the trail only through migrations, and the entities agree with them', async () => {
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    const tables = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = $1 AND table_name NOT LIKE 'audit\\_entry\\_p%' ORDER BY table_name`,
      [db.schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'audit_checkpoint',
      'audit_entry',
      'audit_event_id',
      'audit_migrations',
      'audit_seq',
    ]);
  });

  it('stores each field of an event in its column, and when it was recorded', async () => {
    const id = '0193a1b2-0000-7000-8000-000000000001';
    const before = Date.now();
    expect(await repo.append([event(id, AuditOperation.DELIVERED, 'cp-it')])).toBe(1);
    const after = Date.now();
    const [row] = await repo.trailOf(id);
    expect(row.recordedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(row.recordedAt.getTime()).toBeLessThanOrEqual(after);
    expect(row).toMatchObject({
      operation: 'delivered',
      actorNode: 'emlo-ne',
      actorPerson: 'emlo-ne.officer-17',
      counterpartNode: 'cp-it',
      messageType: 'routeReport',
      handlingCode: 'H2',
      tlp: 'AMBER+STRICT',
      rule: 'POLICY.ALLOWED',
      detail: { reason: 'subscribed' },
      justification: null,
      publisher: 'msx-router',
    });
  });

  it('stores a redelivered event once (idempotent by event id)', async () => {
    const id = '0193a1b2-0000-7000-8000-000000000002';
    const batch = [event(id, AuditOperation.SUBMITTED), event(id, AuditOperation.DELIVERED, 'jot-mare')];
    expect(await repo.append(batch)).toBe(2);
    expect(await repo.append(batch)).toBe(0);
    expect(await repo.append([...batch, event(id, AuditOperation.DELIVERED, 'cp-it')])).toBe(1);
    const trail = await repo.trailOf(id);
    expect(trail.map((r) => `${r.operation}:${r.counterpartNode ?? ''}`)).toEqual([
      'submitted:',
      'delivered:jot-mare',
      'delivered:cp-it',
    ]);
  });

  it('chains every row onto the one before, with dense seqs, even with two writers at once', async () => {
    const other = await openAuditStore({ url: db.url, schema: db.schema });
    const second = new AuditRepository(other);
    const batches = Array.from({ length: 10 }, (_, b) =>
      Array.from({ length: 20 }, (_, i) =>
        event(
          `0193a1b2-0000-7000-8000-0000000001${String(b).padStart(2, '0')}`,
          AuditOperation.DELIVERED,
          `n${i}`,
        ),
      ),
    );
    const counts = await Promise.all(batches.map((batch, b) => (b % 2 ? second : repo).append(batch)));
    await other.destroy();
    expect(counts.reduce((a, b) => a + b, 0)).toBe(200);
    const rows = await db.query<{ seq: string; prev_hash: string; row_hash: string; recorded_at: Date }>(
      `SELECT seq::text AS seq, prev_hash, row_hash, recorded_at FROM "${db.schema}".audit_entry ORDER BY audit_entry.seq`,
    );
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    rows.slice(1).forEach((r, i) => {
      expect(r.prev_hash).toBe(rows[i].row_hash);
      expect(r.recorded_at.getTime()).toBeGreaterThanOrEqual(rows[i].recorded_at.getTime());
    });
    expect(await verifyAuditChain({ url: db.url, schema: db.schema }, [])).toMatchObject({
      ok: true,
      rowsVerified: rows.length,
    });
  });

  it('refuses a batch the store cannot hold and keeps nothing of it, not even its event ids', async () => {
    const id = '0193a1b2-0000-7000-8000-000000000003';
    const head = await repo.head();
    // PostgreSQL text cannot hold U+0000: the insert of the rows fails after the event ids were taken.
    const unstorable = event(id, AuditOperation.DELIVERED, 'cp-it');
    unstorable.event.actorPerson = 'emlo-ne.officer-17\u0000';
    await expect(repo.append([unstorable])).rejects.toMatchObject({ code: 'AUDIT.STORE_REJECTED' });
    expect(await repo.head()).toEqual(head);
    expect(await repo.trailOf(id)).toEqual([]);
    expect(await repo.append([event(id, AuditOperation.DELIVERED, 'cp-it')])).toBe(1);
  });

  /** Every stored row in seq order, as `<message id>:<counterpart>`, after checking the chain. */
  const chainOf = async (): Promise<string[]> => {
    expect(await verifyAuditChain({ url: db.url, schema: db.schema }, [])).toMatchObject({ ok: true });
    const rows = await db.query<{ m: string; c: string | null }>(
      `SELECT message_id AS m, counterpart_node AS c FROM "${db.schema}".audit_entry ORDER BY audit_entry.seq`,
    );
    return rows.map((r) => `${r.m}:${r.c ?? ''}`);
  };
  const batchOf = (messageId: string, n: number) =>
    Array.from({ length: n }, (_, i) => event(messageId, AuditOperation.DELIVERED, `n${i}`));

  it('hashes each batch while the one before is written, and commits them in the order given', async () => {
    const ids = Array.from(
      { length: 8 },
      (_, b) => `0193a1b2-0000-7000-8000-0000000002${String(b).padStart(2, '0')}`,
    );
    const before = repo.appendCounts;
    const stored = (await chainOf()).length;
    // Handed over without waiting, as the audit service does with two batches in hand.
    const counts = await Promise.all(ids.map((id) => repo.append(batchOf(id, 5))));
    expect(counts).toEqual(ids.map(() => 5));
    expect((await chainOf()).slice(stored)).toEqual(
      ids.flatMap((id) => batchOf(id, 5).map((_, i) => `${id}:n${i}`)),
    );
    const after = repo.appendCounts;
    // The first may wait for the stored head; every later one was chained onto the one before it.
    expect(after.hashedAhead - before.hashedAhead).toBeGreaterThanOrEqual(ids.length - 1);
    expect(after.hashedAhead + after.hashedUnderLock - before.hashedAhead - before.hashedUnderLock).toBe(
      ids.length,
    );
  });

  it('chains a batch again under the lock when another writer moved the head since it was hashed', async () => {
    const other = await openAuditStore({ url: db.url, schema: db.schema });
    const second = new AuditRepository(other);
    const [a, b, c] = ['301', '302', '303'].map((n) => `0193a1b2-0000-7000-8000-000000000${n}`);
    try {
      await repo.append(batchOf(a, 2)); // this writer now expects the head after a
      await second.append(batchOf(b, 2)); // another audit process writes after a
      const before = repo.appendCounts;
      expect(await repo.append(batchOf(c, 2))).toBe(2);
      expect(repo.appendCounts.hashedUnderLock).toBe(before.hashedUnderLock + 1);
      expect((await chainOf()).slice(-6)).toEqual([
        `${a}:n0`,
        `${a}:n1`,
        `${b}:n0`,
        `${b}:n1`,
        `${c}:n0`,
        `${c}:n1`,
      ]);
    } finally {
      await other.destroy();
    }
  });

  it('drops the events stored before from a batch hashed ahead as if all were new', async () => {
    const [a, b] = ['311', '312'].map((n) => `0193a1b2-0000-7000-8000-000000000${n}`);
    // The second batch is hashed while the first is written, before anyone knows that it repeats it.
    const [first, second] = await Promise.all([
      repo.append(batchOf(a, 3)),
      repo.append([...batchOf(a, 3), event(b, AuditOperation.SUBMITTED), event(b, AuditOperation.SUBMITTED)]),
    ]);
    expect([first, second]).toEqual([3, 1]);
    expect((await chainOf()).slice(-4)).toEqual([`${a}:n0`, `${a}:n1`, `${a}:n2`, `${b}:`]);
  });

  it('chains the batch after a failed one onto the stored head', async () => {
    const [a, b, c] = ['321', '322', '323'].map((n) => `0193a1b2-0000-7000-8000-000000000${n}`);
    await repo.append(batchOf(a, 1));
    const unstorable = event(b, AuditOperation.DELIVERED, 'cp-it');
    unstorable.event.actorPerson = 'emlo-ne.officer-17\u0000';
    // The third was hashed onto the head the failed second would have left.
    const results = await Promise.allSettled([repo.append([unstorable]), repo.append(batchOf(c, 2))]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'AUDIT.STORE_REJECTED' } });
    expect(results[1]).toEqual({ status: 'fulfilled', value: 2 });
    expect((await chainOf()).slice(-3)).toEqual([`${a}:n0`, `${c}:n0`, `${c}:n1`]);
    expect(await repo.trailOf(b)).toEqual([]);
  });

  it('writes rows of format v1 (from before publishers were recorded) without a publisher, beside v2 rows', async () => {
    const head = await repo.head();
    const fields = (n: bigint, publisher: string | null): ChainedFields => ({
      seq: (head.treeSize + n).toString(),
      eventId: nameBasedId('legacy', String(n)),
      occurredAtUs: '1767225600123456',
      recordedAtUs: head.recordedAtUs!,
      operation: 'delivered',
      actorNode: 'msx-router',
      actorPerson: 'emlo-ne.officer-17',
      counterpartNode: 'cp-it',
      messageId: `m-legacy-${n}`,
      messageType: 'routeReport',
      handlingCode: 'H1',
      tlp: 'AMBER',
      messageSha256: 'a'.repeat(64),
      rule: 'POLICY.ALLOWED',
      justification: 'requested by the originator',
      correlationId: `corr-legacy-${n}`,
      detail: canonicalJson({ reason: 'subscribed', n: Number(n) }),
      publisher,
    });
    const v1 = chainRows(head.headHash, [fields(1n, null), fields(2n, null)]);
    await insertChainedRows(ds, db.schema, v1);
    const mixed = chainRows(v1[1].rowHash, [fields(3n, null), fields(4n, 'msx-router')]);
    await insertChainedRows(ds, db.schema, mixed);
    await insertChainedRows(ds, db.schema, []);
    const rows = await db.query<{ seq: string; publisher: string | null; justification: string }>(
      `SELECT seq::text AS seq, publisher, justification FROM "${db.schema}".audit_entry
        WHERE seq > $1 ORDER BY audit_entry.seq`,
      [head.treeSize.toString()],
    );
    expect(rows.map((r) => r.publisher)).toEqual([null, null, null, 'msx-router']);
    expect(rows.every((r) => r.justification === 'requested by the originator')).toBe(true);
    expect(await verifyAuditChain({ url: db.url, schema: db.schema }, [])).toMatchObject({
      ok: true,
      lastSeq: (head.treeSize + 4n).toString(),
    });
  });

  it('classifies an unreachable database as a hold (retried without limit) and a bad statement as permanent', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: await freePort(),
      connectionTimeoutMillis: 2_000,
    });
    const unreachable = await client.connect().catch((err: unknown) => err);
    expect(classifyStorageError(unreachable)).toMatchObject({
      code: 'AUDIT.STORE_UNAVAILABLE',
      retryable: true,
      hold: true,
    });
    // A connection lost inside a transaction surfaces as the failed rollback's error.
    expect(classifyStorageError(new QueryRunnerProviderAlreadyReleasedError())).toMatchObject({
      code: 'AUDIT.STORE_UNAVAILABLE',
      hold: true,
    });
    const bad: unknown = await ds.query('SELECT * FROM no_such_table').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(classifyStorageError(bad)).toMatchObject({ code: 'AUDIT.STORE_REJECTED', retryable: false });
  });
});
