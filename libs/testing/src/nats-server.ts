import { startNatsServer as startServer, type OwnedServer } from '#process-kit';

/** A private nats-server with JetStream, on a free loopback port, with its own storage folder. */
export type TestNatsServer = OwnedServer;

/**
 * Starts nats-server (NATS_SERVER_BIN or the one on PATH); each test file gets its own. `stop()` keeps its
 * storage, so `start()` brings back the same streams; `dispose()` deletes it.
 */
export function startNatsServer(): Promise<TestNatsServer> {
  return startServer();
}
