import pg from 'pg';
import { queryOn } from '#process-kit';

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
  const query = queryOn(TEST_DATABASE_URL);
  await query(`CREATE SCHEMA "${schema}"`);
  return {
    url: TEST_DATABASE_URL,
    schema,
    query,
    drop: () => dropSchemaAndRoles(query, schema),
  };
}

/**
 * Drops a schema, the node apps' schemas named after it (`<schema>_<node>`, their holdings), and the
 * cluster-wide roles the audit store made for it (`<schema>_owner`, `_writer`, `_auditor`): a schema dropped
 * alone would leave the others behind on every run.
 */
export async function dropSchemaAndRoles(
  query: (sql: string) => Promise<unknown>,
  schema: string,
): Promise<void> {
  await query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await query(`
    DO $$ DECLARE s text; BEGIN
      FOR s IN SELECT nspname FROM pg_namespace WHERE starts_with(nspname, '${schema}_') LOOP
        EXECUTE format('DROP SCHEMA %I CASCADE', s);
      END LOOP;
    END $$`);
  await dropRolesOf(query, schema);
}

/** Drops the roles `<schema>_*`, with what they own and are granted in the database `query` runs on. */
async function dropRolesOf(query: (sql: string) => Promise<unknown>, schema: string): Promise<void> {
  await query(`
    DO $$ DECLARE r text; BEGIN
      FOR r IN SELECT rolname FROM pg_roles WHERE starts_with(rolname, '${schema}_') LOOP
        EXECUTE format('DROP OWNED BY %I', r);
        EXECUTE format('DROP ROLE %I', r);
      END LOOP;
    END $$`);
}

/** A database of its own holding one schema, for tests that may damage it: a template, or a copy of one. */
export interface TestDatabase extends TestSchema {
  /** The database's name; `url` names it. */
  database: string;
}

/** A {@link TestDatabase} to fill once and copy for each test. */
export interface TemplateDatabase extends TestDatabase {
  /**
   * An exact copy of it, rows, schema name and grants alike (`CREATE DATABASE … TEMPLATE`, a few tenths of a
   * second): a test may damage its copy freely. Nobody may be connected to the template meanwhile. Roles are
   * cluster-wide, so the copy uses the template's; its `drop()` drops the copy alone, cutting its connections.
   */
  clone(): Promise<TestDatabase>;
}

/** {@link TEST_DATABASE_URL} with another database in its path. */
export function testDatabaseUrl(database: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Creates a uniquely named database `msx_t_<prefix>_<random>` holding an empty schema of the same name, to be
 * filled once and then copied by `clone()`. It keeps one connection to the server's own database open for
 * creating and dropping its copies: each new connection costs tens of milliseconds. `drop()` drops it
 * (cutting its connections), closes that connection and drops the roles the audit store made for its schema,
 * which its copies share: drop every copy first.
 */
export async function createTemplateDatabase(prefix: string): Promise<TemplateDatabase> {
  const database = `msx_t_${prefix.replace(/[^a-z0-9_]/g, '_')}_${Math.random().toString(36).slice(2, 10)}`;
  const server = new pg.Client({ connectionString: TEST_DATABASE_URL });
  // A connection cut while idle is reported on the next query; unhandled, the event would end the process.
  server.on('error', () => undefined);
  await server.connect();
  const onServer = async (sql: string) => void (await server.query(sql));
  const dropDatabase = (name: string) => onServer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  const url = testDatabaseUrl(database);
  const query = queryOn(url);
  try {
    await onServer(`CREATE DATABASE "${database}"`);
    await query(`CREATE SCHEMA "${database}"`);
  } catch (err) {
    await dropDatabase(database).catch(() => undefined);
    await server.end();
    throw err;
  }
  return {
    url,
    database,
    schema: database,
    query,
    clone: async () => {
      const copy = `${database}_${Math.random().toString(36).slice(2, 8)}`;
      await onServer(`CREATE DATABASE "${copy}" TEMPLATE "${database}"`);
      const copyUrl = testDatabaseUrl(copy);
      return {
        url: copyUrl,
        database: copy,
        schema: database,
        query: queryOn(copyUrl),
        drop: () => dropDatabase(copy),
      };
    },
    drop: async () => {
      try {
        await dropDatabase(database);
        await dropRolesOf(onServer, database);
      } finally {
        await server.end();
      }
    },
  };
}
