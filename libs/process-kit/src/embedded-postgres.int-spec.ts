import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres.js';

describe('startEmbeddedPostgres', () => {
  it('runs a private server that refuses connections while stopped and keeps its data across a restart', async () => {
    const db = await startEmbeddedPostgres({ fsync: false });
    try {
      await db.query('CREATE TABLE kept (n int)');
      await db.query('INSERT INTO kept VALUES (42)');
      await db.stop();
      const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 2_000 });
      const refused = await client.connect().then(
        () => undefined,
        (err: unknown) => err as { code?: string },
      );
      expect(refused?.code).toBe('ECONNREFUSED');
      await db.start();
      expect(await db.query<{ n: number }>('SELECT n FROM kept')).toEqual([{ n: 42 }]);
    } finally {
      await db.dispose();
    }
  });
});
