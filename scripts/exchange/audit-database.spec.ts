import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The audit commands reach the embedded PostgreSQL of a running `npm start` by default (it has a password
 * and a port the defaults do not know), and an explicit MSX_DATABASE_URL still wins.
 */
const dir = mkdtempSync(join(tmpdir(), 'msx-state-'));
process.env.MSX_STATE_DIR = dir;
const { auditDatabase } = await import('./audit-database.js');

describe('the audit store the audit commands use', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const running = (pid: number) =>
    writeFileSync(
      join(dir, 'runtime.json'),
      JSON.stringify({
        pid,
        gatewayUrl: 'http://127.0.0.1:8080',
        natsUrl: 'tls://127.0.0.1:4223',
        databaseUrl: 'postgres://postgres:s3cret@127.0.0.1:5433/postgres',
        databaseSchema: 'msx',
        embeddedPostgres: true,
        ownNatsServer: true,
        startedAt: new Date().toISOString(),
      }),
    );

  it("uses the running npm start's embedded PostgreSQL when MSX_DATABASE_URL is not set", () => {
    running(process.pid);
    expect(auditDatabase({})).toMatchObject({
      url: 'postgres://postgres:s3cret@127.0.0.1:5433/postgres',
      schema: 'msx',
    });
    expect(auditDatabase({}).source).toMatch(/running npm start/);
  });

  it('lets MSX_DATABASE_URL win over the running exchange', () => {
    running(process.pid);
    expect(auditDatabase({ MSX_DATABASE_URL: 'postgres://auditor@db.example/msx' })).toMatchObject({
      url: 'postgres://auditor@db.example/msx',
      source: 'MSX_DATABASE_URL',
    });
  });

  it('ignores the runtime file of an exchange that is no longer running', () => {
    running(2 ** 22 + 12345);
    expect(auditDatabase({}).url).toBe('postgres://postgres@127.0.0.1:5432/postgres');
  });
});
