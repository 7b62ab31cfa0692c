import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AuditOperation, nameBasedId, newAuditEvent, type ExportPage } from '#contracts';
import { AuditRepository, csvLine, EXPORT_COLUMNS, openAuditStore } from '#audit-store';
import { createTestSchema, type TestSchema } from '#testing';
import { ExportPages, type ExportPagesOptions } from './export-pages.js';

/**
 * The pages of an export on a real PostgreSQL: cut by rows and by size, resumed by cursor, held to the rows
 * that existed when the export began, and refused when the period holds more than one export may.
 */
describe('export pages', () => {
  let db: TestSchema;
  let ds: DataSource;
  let repo: AuditRepository;
  let next = 0;
  let since: string;
  let until: string;

  const appendRows = async (n: number) => {
    const events = Array.from({ length: n }, () =>
      newAuditEvent({
        eventId: nameBasedId('export-pages-test', String(++next)),
        operation: AuditOperation.DELIVERED,
        actorNode: 'emlo-ne',
        counterpartNode: 'cp-it',
        detailJson: JSON.stringify({ n: next }),
      }),
    );
    await repo.append(events.map((event) => ({ publisher: 'msx-router', event })));
  };
  const pages = (opts: Partial<ExportPagesOptions> = {}) =>
    new ExportPages(repo, {
      db: { url: db.url, schema: db.schema },
      maxRows: 100,
      pageRows: 2,
      pageChars: 1_000_000,
      ...opts,
    });
  /** Every page of an export, asking with the cursor of each for the next. */
  const all = async (p: ExportPages, format: string, between?: () => Promise<void>) => {
    const got: ExportPage[] = [await p.page({ since, until, format })];
    while (got.at(-1)!.nextCursor !== null) {
      await between?.();
      got.push(await p.page({ since, until, format, cursor: got.at(-1)!.nextCursor }));
    }
    return got;
  };

  beforeAll(async () => {
    db = await createTestSchema('export_pages');
    ds = await openAuditStore({ url: db.url, schema: db.schema });
    repo = new AuditRepository(ds);
    since = new Date(Date.now() - 60_000).toISOString();
    until = new Date(Date.now() + 3_600_000).toISOString();
    await appendRows(5);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('pages an export by rows, each page resuming after the last, the CSV header on the first only', async () => {
    const got = await all(pages(), 'csv');
    expect(got.map((p) => p.rows)).toEqual([2, 2, 1]);
    expect(got.every((p) => p.total === 5 && p.format === 'csv')).toBe(true);
    const lines = got
      .map((p) => p.text)
      .join('')
      .split('\r\n');
    expect(lines[0]).toBe(csvLine(EXPORT_COLUMNS).trimEnd());
    expect(lines.slice(1, -1).map((l) => l.split(',')[0])).toEqual(['1', '2', '3', '4', '5']);
    // The same text as one page holding everything.
    const whole = await pages({ pageRows: 100 }).page({ since, until, format: 'csv' });
    expect(whole).toMatchObject({ rows: 5, nextCursor: null, text: got.map((p) => p.text).join('') });
  });

  it('cuts a page by size, always keeping at least one row', async () => {
    const got = await all(pages({ pageRows: 100, pageChars: 10 }), 'jsonl');
    expect(got.map((p) => p.rows)).toEqual([1, 1, 1, 1, 1]);
    expect(got.map((p) => (JSON.parse(p.text) as { seq: string }).seq)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('holds an export to the rows recorded when it began', async () => {
    const got = await all(pages(), 'jsonl', () => appendRows(1));
    expect(got.reduce((n, p) => n + p.rows, 0)).toBe(5);
    expect(got.at(-1)!.text).toContain('"seq":"5"');
    expect((await pages({ pageRows: 100 }).page({ since, until, format: 'jsonl' })).total).toBe(
      5 + got.length - 1,
    );
  });

  it('refuses a period holding more rows than one export may, naming until', async () => {
    await expect(pages({ maxRows: 3 }).page({ since, until, format: 'jsonl' })).rejects.toMatchObject({
      code: 'AUDIT.QUERY_INVALID',
      message: expect.stringMatching(/until: the period holds \d+ rows, more than the 3 one export may hold/),
    });
  });

  it('refuses a cursor it did not make', async () => {
    for (const cursor of ['not a cursor', Buffer.from('{"q":"trail","seq":"1"}').toString('base64url')])
      await expect(pages().page({ since, until, format: 'csv', cursor })).rejects.toMatchObject({
        code: 'AUDIT.QUERY_INVALID',
        message: expect.stringMatching(/cursor: is not a cursor of this export/),
      });
  });
});
