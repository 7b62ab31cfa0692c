import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AuditOperation, nameBasedId, newAuditEvent, uuidv7, type AuditEvent } from '#contracts';
import { createTestSchema, type TestSchema } from '#testing';
import { GENESIS_HASH } from './audit-chain.js';
import { AUDIT_MIGRATIONS, openAuditStore } from './audit-data-source.js';
import { EXPORT_COLUMNS, exportAuditRows } from './audit-export.js';
import { AuditRepository, type PublishedAuditEvent } from './audit-repository.js';
import { chainRows, insertChainedRows } from './chained-row.js';
import { verifyAuditChain } from './verify-audit-chain.js';

/**
 * Audit identity per publisher in the store (DESIGN §4): an event is (publisher, event id). A party can choose
 * any event id for its own events, so the store must never let one publisher's id stand for another's event.
 */
describe('audit identity per publisher in the store', () => {
  let db: TestSchema;
  let ds: DataSource;
  let repo: AuditRepository;

  const event = (eventId: string, actorNode: string, messageId: string): AuditEvent =>
    newAuditEvent({ eventId, operation: AuditOperation.RECEIVED, actorNode, messageId });
  const as = (publisher: string, e: AuditEvent): PublishedAuditEvent => ({ publisher, event: e });
  const rowsOf = (messageId: string) =>
    db.query<{ seq: string; publisher: string | null; actor_node: string; event_id: string }>(
      `SELECT seq::text AS seq, publisher, actor_node, event_id::text AS event_id
         FROM "${db.schema}".audit_entry WHERE message_id = $1 ORDER BY seq`,
      [messageId],
    );
  const verify = () => verifyAuditChain({ url: db.url, schema: db.schema }, []);

  /** Runs statements as an insider would: with the append-only triggers of the trail disabled. */
  async function insider(...sql: string[]): Promise<void> {
    const table = `"${db.schema}".audit_entry`;
    const parts = await db.query<{ t: string }>(
      `SELECT inhrelid::regclass::text AS t FROM pg_inherits WHERE inhparent = $1::regclass`,
      [table],
    );
    const tables = [table, ...parts.map((p) => p.t)];
    await db.query(
      ['BEGIN', ...tables.map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER`), ...sql, 'COMMIT'].join(';\n'),
    );
  }

  beforeEach(async () => {
    db = await createTestSchema('audit_identity');
  });

  afterEach(async () => {
    await ds?.destroy();
    await db.drop();
  });

  describe('on a trail created with publishers', () => {
    beforeEach(async () => {
      ds = await openAuditStore({ url: db.url, schema: db.schema });
      repo = new AuditRepository(ds);
    });

    it("stores the same event id from two publishers as two rows, so a party taking the router's id first takes nothing", async () => {
      const m = uuidv7();
      const id = nameBasedId(m, 'submitted');
      expect(await repo.append([as('cp-gr', event(id, 'cp-gr', m))])).toBe(1);
      expect(await repo.append([as('msx-router', event(id, 'emlo-ne', m))])).toBe(1);
      expect(await rowsOf(m)).toEqual([
        expect.objectContaining({ publisher: 'cp-gr', actor_node: 'cp-gr', event_id: id }),
        expect.objectContaining({ publisher: 'msx-router', actor_node: 'emlo-ne', event_id: id }),
      ]);
      expect(await verify()).toMatchObject({ ok: true, rowsVerified: 2 });
    });

    it('stores a repeated (publisher, event id) once, within one batch and across batches', async () => {
      const m = uuidv7();
      const id = nameBasedId(m, 'received');
      const mine = as('cp-it', event(id, 'cp-it', m));
      expect(await repo.append([mine, mine])).toBe(1);
      expect(await repo.append([mine])).toBe(0);
      expect(await repo.append([as('jot-mare', event(id, 'jot-mare', m)), mine])).toBe(1);
      expect((await rowsOf(m)).map((r) => r.publisher)).toEqual(['cp-it', 'jot-mare']);
    });

    it('returns and exports each row with its publisher', async () => {
      const m = uuidv7();
      await repo.append([as('cp-it', event(uuidv7(), 'cp-it', m))]);
      expect((await repo.trailOf(m)).map((r) => r.publisher)).toEqual(['cp-it']);
      const exported = [];
      for await (const page of exportAuditRows(
        { url: db.url, schema: db.schema },
        new Date(0),
        new Date(Date.now() + 60_000),
      ))
        exported.push(...page);
      expect(exported.map((r) => r[EXPORT_COLUMNS.indexOf('publisher')])).toEqual(['cp-it']);
    });

    it('refuses an event without publisher, writing nothing', async () => {
      const m = uuidv7();
      const err = await repo
        .append([as('cp-it', event(uuidv7(), 'cp-it', m)), as('', event(uuidv7(), 'cp-it', m))])
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toMatchObject({ code: 'AUDIT.PUBLISHER_MISSING', retryable: false });
      expect(await rowsOf(m)).toEqual([]);
    });

    it('names the row whose publisher was changed or removed', async () => {
      const m = uuidv7();
      await repo.append(
        Array.from({ length: 5 }, (_, i) => as('msx-router', event(nameBasedId(m, String(i)), 'emlo-ne', m))),
      );
      const table = `"${db.schema}".audit_entry`;
      for (const value of [`'cp-gr'`, 'NULL']) {
        await insider(`UPDATE ${table} SET publisher = ${value} WHERE seq = 3`);
        expect([value, (await verify()).problem]).toEqual([
          value,
          expect.objectContaining({ code: 'ROW_ALTERED', seq: '3' }),
        ]);
        await insider(`UPDATE ${table} SET publisher = 'msx-router' WHERE seq = 3`);
        expect((await verify()).ok).toBe(true);
      }
    });
  });

  it('upgrades a trail recorded before publishers: old rows keep format v1 and verify, their ids stay taken, new rows are v2', async () => {
    // The store as it was before publishers were recorded, with three rows written as its writer did.
    const old = await openAuditStore({ url: db.url, schema: db.schema });
    const publishers = AUDIT_MIGRATIONS.findIndex((m) => m.name === 'AuditIdentityPerPublisher1764500000000');
    for (let i = AUDIT_MIGRATIONS.length; i > publishers; i--)
      await old.undoLastMigration({ transaction: 'each' });
    expect(
      await old.query(`SELECT name FROM "${db.schema}".audit_migrations ORDER BY id DESC LIMIT 1`),
    ).toEqual([{ name: 'AppendOnlyAuditTrail1764400000001' }]);
    const m = uuidv7();
    const oldIds = [0, 1, 2].map((i) => nameBasedId(m, 'old', String(i)));
    const fields = oldIds.map((eventId, i) => ({
      seq: String(i + 1),
      eventId,
      occurredAtUs: '1767225600000000',
      recordedAtUs: `${Date.now()}000`,
      operation: 'received',
      actorNode: 'cp-it',
      actorPerson: null,
      counterpartNode: null,
      messageId: m,
      messageType: null,
      handlingCode: null,
      tlp: null,
      messageSha256: null,
      rule: null,
      justification: null,
      correlationId: null,
      detail: '{}',
      publisher: null,
    }));
    await old.transaction(async (tx) => {
      await tx.query(`SELECT "${db.schema}".audit_ensure_partition(now())`);
      await insertChainedRows(tx, db.schema, chainRows(GENESIS_HASH, fields));
      await tx.query(`INSERT INTO "${db.schema}".audit_event_id (event_id) SELECT unnest($1::uuid[])`, [
        oldIds,
      ]);
    });
    await old.destroy();

    ds = await openAuditStore({ url: db.url, schema: db.schema });
    repo = new AuditRepository(ds);
    expect(await verify()).toMatchObject({ ok: true, rowsVerified: 3 });
    // An event recorded before the upgrade and redelivered after it is still stored once.
    expect(await repo.append([as('cp-it', event(oldIds[0], 'cp-it', m))])).toBe(0);
    expect(await repo.append([as('cp-it', event(uuidv7(), 'cp-it', m))])).toBe(1);
    expect((await rowsOf(m)).map((r) => r.publisher)).toEqual([null, null, null, 'cp-it']);
    expect(await verify()).toMatchObject({ ok: true, rowsVerified: 4 });
  });
});
