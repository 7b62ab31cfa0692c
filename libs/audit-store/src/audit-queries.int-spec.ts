import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AuditOperation, HandlingCode, nameBasedId, newAuditEvent, Tlp, uuidv7 } from '#contracts';
import { createTestSchema, type TestSchema } from '#testing';
import { openAuditStore } from './audit-data-source.js';
import { AuditQueries, type Page } from './audit-queries.js';
import { AuditRepository } from './audit-repository.js';

const T0 = Date.UTC(2026, 10, 1, 8);
const MINUTE = 60_000;

describe('auditors’ queries on a real PostgreSQL', () => {
  let db: TestSchema;
  let ds: DataSource;
  let repo: AuditRepository;
  let queries: AuditQueries;
  const messageId = uuidv7(T0);

  /** One operation on a message, `minutes` after T0, published by the router or (received) by the node. */
  const event = (
    op: AuditOperation,
    o: {
      actor?: string;
      person?: string;
      counterpart?: string;
      minutes?: number;
      type?: string;
      code?: HandlingCode;
      message?: string;
    } = {},
  ) => ({
    publisher: op === AuditOperation.RECEIVED ? (o.actor ?? 'emlo-ne') : 'msx-router',
    event: newAuditEvent(
      {
        eventId: nameBasedId(
          o.message ?? messageId,
          String(op),
          o.actor ?? '',
          o.counterpart ?? '',
          String(o.minutes ?? 0),
        ),
        operation: op,
        actorNode: o.actor ?? 'emlo-ne',
        actorPerson: o.person ?? 'emlo-ne.officer-17',
        counterpartNode: o.counterpart ?? '',
        messageId: o.message ?? messageId,
        messageType: o.type ?? 'routeReport',
        handlingCode: o.code ?? HandlingCode.H1,
        tlp: Tlp.AMBER,
        messageSha256: 'b'.repeat(64),
      },
      T0 + (o.minutes ?? 0) * MINUTE,
    ),
  });

  /** Follows `nextCursor` to the end, checking no page is larger than `limit`. */
  async function allPages<T>(run: (cursor?: string) => Promise<Page<T>>, limit: number): Promise<T[][]> {
    const pages: T[][] = [];
    let cursor: string | undefined;
    do {
      const page = await run(cursor);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      pages.push(page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && pages.length < 100);
    return pages;
  }

  beforeAll(async () => {
    db = await createTestSchema('audit_queries');
    ds = await openAuditStore({ url: db.url, schema: db.schema });
    repo = new AuditRepository(ds);
    queries = new AuditQueries(ds);
    const recipients = ['cp-it', 'jot-mare', 'afic', 'cp-gr', 'frontex-ra'];
    await repo.append([
      event(AuditOperation.SUBMITTED),
      ...recipients.map((r, i) => event(AuditOperation.DELIVERED, { counterpart: r, minutes: i + 1 })),
      event(AuditOperation.WITHHELD, { counterpart: 'afic-partner-ne', minutes: 6 }),
      ...['cp-it', 'jot-mare'].map((r, i) =>
        event(AuditOperation.RECEIVED, {
          actor: r,
          person: `${r}.inbox`,
          counterpart: 'emlo-ne',
          minutes: 7 + i,
        }),
      ),
      // Other messages from emlo-ne to cp-it, in and out of the period, and someone else's message.
      ...[10, 20, 30].map((m) =>
        event(AuditOperation.DELIVERED, {
          message: uuidv7(T0 + m * MINUTE),
          counterpart: 'cp-it',
          minutes: m,
          type: 'debriefingReport',
          code: HandlingCode.H2,
        }),
      ),
      event(AuditOperation.DELIVERED, {
        message: uuidv7(T0 + 24 * 60 * MINUTE),
        counterpart: 'cp-it',
        minutes: 24 * 60,
      }),
      event(AuditOperation.DELIVERED, {
        message: uuidv7(T0),
        actor: 'cp-gr',
        person: 'cp-gr.analyst-2',
        counterpart: 'cp-it',
        minutes: 3,
      }),
    ]);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('returns the trail of one message across every party, in recorded order, page by page', async () => {
    const pages = await allPages((cursor) => queries.trail({ messageId, cursor, limit: 3 }), 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 3]);
    const rows = pages.flat();
    expect(rows.map((r) => `${r.operation}:${r.actorNode}>${r.counterpartNode ?? ''}`)).toEqual([
      'submitted:emlo-ne>',
      'delivered:emlo-ne>cp-it',
      'delivered:emlo-ne>jot-mare',
      'delivered:emlo-ne>afic',
      'delivered:emlo-ne>cp-gr',
      'delivered:emlo-ne>frontex-ra',
      'withheld:emlo-ne>afic-partner-ne',
      'received:cp-it>emlo-ne',
      'received:jot-mare>emlo-ne',
    ]);
    expect(rows.map((r) => r.publisher)).toEqual([
      ...Array<string>(7).fill('msx-router'),
      'cp-it',
      'jot-mare',
    ]);
    const seqs = rows.map((r) => BigInt(r.seq));
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
    expect(rows[0]).toMatchObject({
      messageId,
      handlingCode: 'H1',
      tlp: 'AMBER',
      actorPerson: 'emlo-ne.officer-17',
      occurredAt: new Date(T0).toISOString().replace('.000Z', '.000000Z'),
    });
  });

  it('ends with a null cursor exactly on the last page, and answers an unknown message with no rows', async () => {
    const whole = await queries.trail({ messageId, limit: 9 });
    expect(whole.items).toHaveLength(9);
    expect(whole.nextCursor).toBeNull();
    expect(await queries.trail({ messageId: uuidv7() })).toEqual({ items: [], nextCursor: null });
  });

  it('shows in the trail of an item the control messages and forwarded copies that concern it', async () => {
    const item = uuidv7(T0 + 5 * MINUTE);
    const ids = { ack: uuidv7(), request: uuidv7(), forward: uuidv7(), recall: uuidv7(), erased: uuidv7() };
    const row = (
      key: string,
      op: AuditOperation,
      actor: string,
      message: string,
      concerns?: string,
      publisher = 'msx-router',
    ) => ({
      publisher,
      event: newAuditEvent({
        eventId: nameBasedId('concerns', key),
        operation: op,
        actorNode: actor,
        messageId: message,
        messageType: key,
        detailJson: concerns ? JSON.stringify({ concerns }) : '',
      }),
    });
    await repo.append([
      row('submitted', AuditOperation.SUBMITTED, 'emlo-ne', item),
      row('acknowledgement', AuditOperation.SUBMITTED, 'cp-it', ids.ack, item),
      row('unrelated', AuditOperation.SUBMITTED, 'cp-gr', uuidv7(), uuidv7()),
      row('shareRequest', AuditOperation.SUBMITTED, 'cp-it', ids.request, item),
      row('forwardedCopy', AuditOperation.FORWARDED, 'cp-it', ids.forward, item),
      row('recall', AuditOperation.SUBMITTED, 'emlo-ne', ids.recall, item),
      row('erasureReceipt', AuditOperation.ERASED, 'cp-it', ids.erased, item, 'cp-it'),
      // A row of the item that also names it is in its trail once.
      row('delivered', AuditOperation.DELIVERED, 'emlo-ne', item, item),
    ]);
    const whole = await queries.trail({ messageId: item });
    expect(whole.items.map((r) => r.messageType)).toEqual([
      'submitted',
      'acknowledgement',
      'shareRequest',
      'forwardedCopy',
      'recall',
      'erasureReceipt',
      'delivered',
    ]);
    expect(whole.items.map((r) => r.messageId)).toEqual([
      item,
      ids.ack,
      ids.request,
      ids.forward,
      ids.recall,
      ids.erased,
      item,
    ]);
    expect(
      (await allPages((cursor) => queries.trail({ messageId: item, cursor, limit: 2 }), 2)).flat(),
    ).toEqual(whole.items);
    // The control message keeps its own trail too.
    expect((await queries.trail({ messageId: ids.ack })).items.map((r) => r.messageType)).toEqual([
      'acknowledgement',
    ]);
  });

  it('counts the flows from one party to another in a period, by operation, type and handling code', async () => {
    const since = new Date(T0).toISOString();
    const until = new Date(T0 + 60 * MINUTE).toISOString();
    const page = await queries.flows({ from: 'emlo-ne', to: 'cp-it', since, until });
    expect(page).toMatchObject({ from: 'emlo-ne', to: 'cp-it', nextCursor: null });
    expect(page.items).toEqual([
      { operation: 'delivered', messageType: 'debriefingReport', handlingCode: 'H2', count: 3 },
      { operation: 'delivered', messageType: 'routeReport', handlingCode: 'H1', count: 1 },
    ]);
    const paged = await allPages(
      (cursor) => queries.flows({ from: 'emlo-ne', to: 'cp-it', since, until, cursor, limit: 1 }),
      1,
    );
    expect(paged.flat()).toEqual(page.items);
    // The other direction is what cp-it did towards emlo-ne: it received.
    const back = await queries.flows({ from: 'cp-it', to: 'emlo-ne', since, until });
    expect(back.items).toEqual([
      { operation: 'received', messageType: 'routeReport', handlingCode: 'H1', count: 1 },
    ]);
  });

  it("lists one officer's activity in time order, page by page, within a period", async () => {
    const all = (
      await allPages(
        (cursor) => queries.officerActivity({ officer: 'emlo-ne.officer-17', cursor, limit: 4 }),
        4,
      )
    ).flat();
    expect(all).toHaveLength(11);
    const times = all.map((r) => r.occurredAt);
    expect([...times].sort()).toEqual(times);
    expect(all.every((r) => r.actorPerson === 'emlo-ne.officer-17')).toBe(true);
    const firstHour = await queries.officerActivity({
      officer: 'emlo-ne.officer-17',
      since: new Date(T0 + 10 * MINUTE).toISOString(),
      until: new Date(T0 + 30 * MINUTE).toISOString(),
    });
    expect(firstHour.items.map((r) => r.messageType)).toEqual(['debriefingReport', 'debriefingReport']);
  });

  it('refuses a malformed query before touching the database', async () => {
    await expect(queries.trail({ messageId: "x' OR 1=1 --" })).rejects.toMatchObject({
      code: 'AUDIT.QUERY_INVALID',
    });
  });

  it('tells when the last row was committed', async () => {
    const last = await queries.lastRecordedAt();
    expect(last).toBeInstanceOf(Date);
    expect(Math.abs(last!.getTime() - Date.now())).toBeLessThan(60_000);
  });
});
