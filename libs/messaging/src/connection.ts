import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';

/** Minimal logger port, so the library does not depend on a framework. */
export interface BusLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A connection to the bus with its JetStream handles. */
export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  close(): Promise<void>;
}

export interface BusOptions {
  /** NATS server URLs, comma separated. */
  servers: string;
  /** Connection name shown in server monitoring, for example `msx-router`. */
  name: string;
  logger?: BusLogger;
  /** Give up on the first connection after this long, in milliseconds; reconnects after that are unlimited. */
  connectTimeoutMs?: number;
}

/**
 * Connects to NATS, retrying the first connection until `connectTimeoutMs`, then reconnecting forever:
 * a service outlives a broker restart.
 */
export async function connectBus(opts: BusOptions): Promise<Bus> {
  const deadline = Date.now() + (opts.connectTimeoutMs ?? 30_000);
  let nc: NatsConnection | undefined;
  let lastErr: unknown;
  while (!nc && Date.now() < deadline) {
    try {
      nc = await connect({
        servers: opts.servers.split(',').map((s) => s.trim()),
        name: opts.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        timeout: 5_000,
      });
    } catch (err) {
      lastErr = err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  if (!nc)
    throw new Error(`cannot reach NATS at ${opts.servers}: ${(lastErr as Error)?.message ?? 'timeout'}`);
  const conn = nc;
  void (async () => {
    for await (const s of conn.status()) {
      if (s.type === 'disconnect') opts.logger?.warn(`NATS disconnected (${opts.name})`);
      else if (s.type === 'reconnect') opts.logger?.log(`NATS reconnected (${opts.name})`);
      else if (s.type === 'error') opts.logger?.error(`NATS error (${opts.name}): ${String(s.error)}`);
    }
  })();
  const jsm = await jetstreamManager(conn, { timeout: 10_000 });
  return {
    nc: conn,
    js: jetstream(conn, { timeout: 10_000 }),
    jsm,
    close: () => conn.drain(),
  };
}
