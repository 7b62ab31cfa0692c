import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { QueryRunner } from 'typeorm';
import { decodeEnvelope, envelopeFromJson, HandlingCode, Purpose, uuidv7, type Envelope } from '#contracts';
import { DAY_MS } from '#directory';
import { asJson, createTestSchema, validRouteReportEnvelope, type TestSchema } from '#testing';
import { ERASED_COPY, holdingsError, HoldingsStore } from './holdings-store.js';
import { HoldingPurposes1766000000000 } from './migrations/1766000000000-holding-purposes.js';

function routeReport(id = uuidv7()): Envelope {
  return envelopeFromJson(asJson(validRouteReportEnvelope({ id })));
}

/** Route reports for 30 days, everything else for 1,095. */
const RETENTION = { defaultDays: 1_095, byType: { routeReport: 30 } };

/** A node's holdings on a real PostgreSQL, in a schema of its own (DESIGN §3). */
describe('a node holdings store', () => {
  let db: TestSchema;
  let store: HoldingsStore;

  beforeAll(async () => {
    db = await createTestSchema('holdings');
    store = await HoldingsStore.open({ url: db.url, schema: db.schema, retention: RETENTION });
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('keeps a copy across a restart, byte for byte, and keeps the first of a redelivered one', async () => {
    const e = routeReport();
    expect(await store.keep(e, 'a'.repeat(64))).toBe(true);
    expect(await store.keep(e, 'b'.repeat(64))).toBe(true);
    await store.close();
    store = await HoldingsStore.open({ url: db.url, schema: db.schema, retention: RETENTION });
    const held = await store.get(e.id);
    expect(held).toMatchObject({
      messageId: e.id,
      sender: e.sender,
      messageType: 'routeReport',
      sha256: 'a'.repeat(64),
    });
    expect(decodeEnvelope(held!.bytes)).toEqual(e);
    const tables = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [db.schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'blind_token',
      'derived_record',
      'erasure',
      'holding',
      'holdings_migrations',
      'outbox',
    ]);
  });

  it('erases the copy and what was derived from it, says exactly that, and says it again the same way', async () => {
    const e = routeReport();
    await store.keep(e, 'c'.repeat(64));
    await store.derive(e.id, 'dispatch', 'border-police');
    await store.derive(e.id, 'dispatch', 'border-police');
    await store.derive(e.id, 'dispatch', 'coast-guard');
    const recall = uuidv7();
    const account = await store.erase(e.id, recall, ['vessel-watch-list:imo:9074729']);
    expect(account).toMatchObject({
      messageId: e.id,
      recallId: recall,
      erased: [
        ERASED_COPY,
        'dispatch:border-police',
        'dispatch:coast-guard',
        'vessel-watch-list:imo:9074729',
      ],
      originator: e.sender,
    });
    expect(await store.get(e.id)).toBeUndefined();
    expect(await store.derivedFrom(e.id)).toEqual([]);
    const rows = await db.query(`SELECT 1 FROM "${db.schema}".holding WHERE message_id = $1`, [e.id]);
    expect(rows).toHaveLength(0);
    // Asked again, after a restart too: the same account, nothing more deleted, not a fresh time.
    await store.close();
    store = await HoldingsStore.open({ url: db.url, schema: db.schema, retention: RETENTION });
    expect(await store.erase(e.id, uuidv7())).toEqual(account);
  });

  it('erases a forwarded copy with the item it is a copy of, and sends the receipt to no forwarder', async () => {
    const item = uuidv7();
    const forward = routeReport();
    await store.keep(forward, 'f'.repeat(64), item);
    expect(await store.get(forward.id)).toMatchObject({ messageId: forward.id, itemId: item });
    const account = await store.erase(item, uuidv7());
    expect(account?.erased).toEqual([`forwarded-copy:${forward.id}`]);
    expect(account).not.toHaveProperty('originator');
    expect(await store.get(forward.id)).toBeUndefined();
    // A late redelivery of the forward, after its item was erased, is not kept again.
    expect(await store.keep(forward, 'f'.repeat(64), item)).toBe(false);
  });

  it('states no erasure for an item it holds nothing of, and records none', async () => {
    const id = uuidv7();
    expect(await store.erase(id, uuidv7())).toBeUndefined();
    expect(await store.erasure(id)).toBeUndefined();
  });

  it('does not keep again a copy that comes back after it was erased', async () => {
    const e = routeReport();
    await store.keep(e, 'd'.repeat(64));
    await store.erase(e.id, uuidv7());
    expect(await store.keep(e, 'd'.repeat(64))).toBe(false);
    expect(await store.get(e.id)).toBeUndefined();
  });

  it('holds a copy or recall while the database is away, and gives up only on what it refuses', async () => {
    // PostgreSQL refuses the row (a hash longer than a SHA-256): permanent, never retried without end.
    const refused = await store.keep(routeReport(), 'f'.repeat(65)).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'NODE.HOLDINGS_REJECTED', retryable: false });
    expect(JSON.stringify(refused)).not.toContain('Zuwara');
    // A database that is away: a hold, retried however long it takes.
    const unreachable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    expect(holdingsError(unreachable)).toMatchObject({
      code: 'NODE.HOLDINGS_UNAVAILABLE',
      retryable: true,
      hold: true,
    });
    expect(holdingsError(new Error('Connection terminated unexpectedly'))).toMatchObject({ hold: true });
    const failed = await HoldingsStore.open({
      url: 'postgres://postgres@127.0.0.1:1/postgres',
      schema: 'nowhere',
    }).catch((e: unknown) => e);
    expect(holdingsError(failed)).toMatchObject({ code: 'NODE.HOLDINGS_UNAVAILABLE', hold: true });
  });

  it('erases once when two recalls of one item come at the same time', async () => {
    const e = routeReport();
    await store.keep(e, 'e'.repeat(64));
    const [a, b] = await Promise.all([store.erase(e.id, uuidv7()), store.erase(e.id, uuidv7())]);
    expect(a).toEqual(b);
    expect(a?.erased).toEqual([ERASED_COPY]);
  });

  it('keeps each copy until its expiresAt or its type retention from creation, whichever is first, with its purpose', async () => {
    const now = Date.now();
    const plain = routeReport();
    plain.createdAt = timestampFromMs(now - 10 * DAY_MS);
    plain.purpose = 'Disrupting the Zuwara crossings.';
    const early = routeReport();
    early.createdAt = timestampFromMs(now);
    early.expiresAt = timestampFromMs(now + 2 * DAY_MS);
    const late = routeReport();
    late.createdAt = timestampFromMs(now);
    late.expiresAt = timestampFromMs(now + 400 * DAY_MS);
    for (const e of [plain, early, late]) await store.keep(e, 'e'.repeat(64));
    expect(await store.get(plain.id)).toMatchObject({
      keptUntil: new Date(now + 20 * DAY_MS),
      purpose: 'Disrupting the Zuwara crossings.',
    });
    expect((await store.get(early.id))?.keptUntil).toEqual(new Date(now + 2 * DAY_MS));
    // An originator may ask for less than the directory allows, never for more.
    expect((await store.get(late.id))?.keptUntil).toEqual(new Date(now + 30 * DAY_MS));

    const due = await store.expired(new Date(now + 21 * DAY_MS));
    expect(due.map((d) => d.itemId).filter((id) => [plain.id, early.id, late.id].includes(id))).toEqual([
      early.id,
      plain.id,
    ]);
    expect(due.find((d) => d.itemId === plain.id)).toMatchObject({
      messageId: plain.id,
      messageType: 'routeReport',
      handlingCode: HandlingCode.H1,
      sha256: 'e'.repeat(64),
    });
    expect((await store.expired(new Date(now))).map((d) => d.itemId)).not.toContain(plain.id);
  });

  it('records what each copy serves, and gives copies kept before purposes their type defaults', async () => {
    const stated = routeReport();
    stated.purposes = [Purpose.RISK_ANALYSIS];
    const unstated = routeReport();
    for (const e of [stated, unstated]) await store.keep(e, 'f'.repeat(64));
    expect((await store.get(stated.id))?.purposes).toEqual(['risk-analysis']);
    expect((await store.get(unstated.id))?.purposes).toEqual([
      'criminal-investigation',
      'border-management',
      'risk-analysis',
    ]);
    // The holdings as they were before the migration: no purposes; then the migration.
    await store.query(`ALTER TABLE ${store.table('holding')} DROP COLUMN "purposes"`);
    const runner = {
      connection: { options: { schema: db.schema } },
      query: (sql: string, params?: unknown[]) => store.query(sql, params),
    } as unknown as QueryRunner;
    await new HoldingPurposes1766000000000().up(runner);
    expect((await store.get(unstated.id))?.purposes).toEqual([
      'criminal-investigation',
      'border-management',
      'risk-analysis',
    ]);
  });
});
