import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AuditOperation, HandlingCode, nameBasedId, newAuditEvent, uuidv7 } from '#contracts';
import { createTestSchema, type TestSchema } from '#testing';
import { openAuditStore } from './audit-data-source.js';
import { AuditQueries, MAX_PAGE_SIZE, type AuditRecord, type FlowCount, type Page } from './audit-queries.js';
import { AuditRepository, type PublishedAuditEvent } from './audit-repository.js';

const T0 = Date.UTC(2026, 10, 1, 8);
const MINUTE = 60_000;
/** Enough rows to cross the seq boundaries 9→10, 99→100 and 999→1000, where text and number order part. */
const ROWS = 1_100;
const LIMITS = [1, 5, 100];
const OFFICER = 'emlo-ne.officer-17';
const OPERATIONS = [
  AuditOperation.DELIVERED,
  AuditOperation.WITHHELD,
  AuditOperation.FORWARDED,
  AuditOperation.CONSULTED,
];
const CODES = [HandlingCode.H0, HandlingCode.H1, HandlingCode.H2];

/**
 * Keyset paging of every auditor query over a trail long enough that seqs have one, two, three and four
 * digits: following `nextCursor` page by page must give exactly one unpaged read, row for row, in order.
 */
describe('auditors page through the trail exactly', () => {
  let db: TestSchema;
  let ds: DataSource;
  let queries: AuditQueries;
  const item = uuidv7(T0);
  const other = uuidv7(T0 + 1);
  /** Seqs of the item's trail: its own rows and the control messages that concern it. */
  const trailSeqs: number[] = [];
  /** Seqs of the officer's rows. */
  const officerSeqs: number[] = [];
  /** Rows from emlo-ne to cp-it, by flow group. */
  const flowCounts = new Map<string, number>();

  /** Row `i` (it gets seq `i`); consecutive rows share `occurredAt` across each boundary. */
  function rowEvent(i: number): PublishedAuditEvent {
    const control = i % 7 === 0 && i % 3 !== 0; // an acknowledgement, share request, recall, …
    const messageId = i % 3 === 0 ? other : control ? uuidv7(T0 + i) : item;
    if (messageId !== other) trailSeqs.push(i);
    const mine = i % 2 === 0;
    if (mine) officerSeqs.push(i);
    const operation = OPERATIONS[i % OPERATIONS.length];
    const messageType = `type${i % 13}`;
    const code = CODES[i % CODES.length];
    if (mine) {
      const key = `${AuditOperation[operation].toLowerCase()}|${messageType}|H${code - 1}`;
      flowCounts.set(key, (flowCounts.get(key) ?? 0) + 1);
    }
    return {
      publisher: 'msx-router',
      event: newAuditEvent(
        {
          eventId: nameBasedId('paging', String(i)),
          operation,
          actorNode: 'emlo-ne',
          actorPerson: mine ? OFFICER : 'emlo-ne.officer-3',
          counterpartNode: mine ? 'cp-it' : 'jot-mare',
          messageId,
          messageType,
          handlingCode: code,
          detailJson: control ? JSON.stringify({ concerns: item }) : '',
        },
        T0 + Math.floor((i + 25) / 50) * MINUTE,
      ),
    };
  }

  /** Follows `nextCursor` to the end with pages of at most `limit`. */
  async function allPages<T>(limit: number, run: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
    const rows: T[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages <= ROWS + 1; pages++) {
      const page = await run(cursor);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      rows.push(...page.items);
      if (page.nextCursor === null) return rows;
      cursor = page.nextCursor;
    }
    throw new Error('paging did not end');
  }

  /** One unpaged read: everything on the first page. */
  async function unpaged<T>(run: () => Promise<Page<T>>): Promise<T[]> {
    const page = await run();
    expect(page.nextCursor).toBeNull();
    return page.items;
  }

  const seqsOf = (rows: AuditRecord[]) => rows.map((r) => Number(r.seq));

  beforeAll(async () => {
    db = await createTestSchema('audit_paging');
    ds = await openAuditStore({ url: db.url, schema: db.schema });
    queries = new AuditQueries(ds);
    const repo = new AuditRepository(ds);
    const events = Array.from({ length: ROWS }, (_, i) => rowEvent(i + 1));
    for (let from = 0; from < ROWS; from += 500) await repo.append(events.slice(from, from + 500));
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('pages the trail of one message (its control messages included) in seq order, every row once', async () => {
    const whole = await unpaged(() => queries.trail({ messageId: item, limit: MAX_PAGE_SIZE }));
    expect(seqsOf(whole)).toEqual(trailSeqs);
    expect(whole.every((r) => typeof r.seq === 'string')).toBe(true);
    for (const limit of LIMITS) {
      const paged = await allPages(limit, (cursor) => queries.trail({ messageId: item, cursor, limit }));
      expect([limit, paged]).toEqual([limit, whole]);
    }
  });

  it("pages one officer's activity in time and seq order, every row once", async () => {
    const whole = await unpaged(() => queries.officerActivity({ officer: OFFICER, limit: MAX_PAGE_SIZE }));
    expect(seqsOf(whole)).toEqual(officerSeqs);
    for (const limit of LIMITS) {
      const paged = await allPages(limit, (cursor) =>
        queries.officerActivity({ officer: OFFICER, cursor, limit }),
      );
      expect([limit, paged]).toEqual([limit, whole]);
    }
  });

  it('pages the flows between two parties, every group once, with the counts of one read', async () => {
    const period = {
      from: 'emlo-ne',
      to: 'cp-it',
      since: new Date(T0).toISOString(),
      until: new Date(T0 + 24 * 60 * MINUTE).toISOString(),
    };
    const whole = await unpaged(() => queries.flows({ ...period, limit: MAX_PAGE_SIZE }));
    const key = (f: FlowCount) => `${f.operation}|${f.messageType}|${f.handlingCode}`;
    expect(new Map(whole.map((f) => [key(f), f.count]))).toEqual(flowCounts);
    expect(whole.length).toBeGreaterThan(LIMITS[1] * 10);
    for (const limit of LIMITS) {
      const paged = await allPages(limit, async (cursor) => queries.flows({ ...period, cursor, limit }));
      expect([limit, paged]).toEqual([limit, whole]);
    }
  });
});
