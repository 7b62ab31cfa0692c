import pg from 'pg';

/** The PostgreSQL server tests use: MSX_TEST_DATABASE_URL or the local one. */
export const TEST_DATABASE_URL =
  process.env.MSX_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A schema of its own for one test file, dropped afterwards. */
export interface TestSchema {
  url: string;
  schema: string;
  /** Runs one query on a fresh connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/** Creates a uniquely named, empty schema (`msx_t_<prefix>_<random>`). */
export async function createTestSchema(prefix: string): Promise<TestSchema> {
  const schema = `msx_t_${prefix.replace(/[^a-z0-9_]/g, '_')}_${Math.random().toString(36).slice(2, 10)}`;
  const query = async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  await query(`CREATE SCHEMA "${schema}"`);
  return {
    url: TEST_DATABASE_URL,
    schema,
    query,
    drop: () => dropSchemaAndRoles(query, schema),
  };
}

/**
 * Drops a schema and the cluster-wide roles the audit store made for it (`<schema>_owner`, `_writer`,
 * `_auditor`): a schema dropped alone would leave its roles behind on every run.
 */
export async function dropSchemaAndRoles(
  query: (sql: string) => Promise<unknown>,
  schema: string,
): Promise<void> {
  await query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await query(`
    DO $$ DECLARE r text; BEGIN
      FOR r IN SELECT rolname FROM pg_roles WHERE starts_with(rolname, '${schema}_') LOOP
        EXECUTE format('DROP OWNED BY %I', r);
        EXECUTE format('DROP ROLE %I', r);
      END LOOP;
    END $$`);
}
