import { createHmac } from 'node:crypto';
import { connect, nkeyAuthenticator, type Authenticator, type NatsConnection } from '@nats-io/transport-node';
import { inboxPrefixOf, isCorePrincipal, PARTY_JS_API_PREFIX } from './broker/permissions.js';
import { PipelinedPublisher, withPipelinedPublish } from './pipelined-publisher.js';
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
  /**
   * A secret of this principal for the ids it derives (an erasure receipt's id from the recall's): the same
   * on every retry and restart, so the message stays idempotent, but not computable by another party, so no
   * one can take the id first. Derived from the NKey seed; the principal's name on a broker without one.
   */
  idKey: string;
  close(): Promise<void>;
}

/** TLS settings of a connection: the CA that signed the broker's certificate, and a client certificate for mTLS. */
export interface BusTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** How a principal proves who it is to a broker that requires it (DESIGN §4). */
export interface BusCredentials {
  /** Node id or core service (`msx-router`); replies come back under `_INBOX_<principal>`, which only it may read. */
  principal: string;
  /** The principal's NKey seed: a secret, never logged. Absent on a broker that does not authenticate. */
  nkeySeed?: string;
  tls?: BusTls;
}

/**
 * Client options for a principal: its NKey authenticator, its own reply prefix and its TLS settings; none
 * without credentials.
 */
export function natsAuthOptions(credentials?: BusCredentials): {
  authenticator?: Authenticator;
  inboxPrefix?: string;
  tls?: BusTls;
} {
  if (!credentials) return {};
  return {
    ...(credentials.nkeySeed
      ? {
          authenticator: nkeyAuthenticator(new TextEncoder().encode(credentials.nkeySeed)),
          inboxPrefix: inboxPrefixOf(credentials.principal),
        }
      : {}),
    ...(credentials.tls ? { tls: credentials.tls } : {}),
  };
}

/**
 * On the isolated broker a party's account has no JetStream of its own: it reaches its inbox consumer through
 * the service imports under {@link PARTY_JS_API_PREFIX}. Core services (and everyone on an open broker) use
 * the default `$JS.API`.
 */
export function jetStreamApiPrefixOf(credentials?: BusCredentials): string | undefined {
  return credentials?.nkeySeed && !isCorePrincipal(credentials.principal) ? PARTY_JS_API_PREFIX : undefined;
}

export interface BusOptions {
  /** NATS server URLs, comma separated. */
  servers: string;
  /** Connection name shown in server monitoring, for example `msx-router`. */
  name: string;
  logger?: BusLogger;
  /** Credentials, when the broker requires them. */
  credentials?: BusCredentials;
  /** Give up on the first connection after this long, in milliseconds; reconnects after that are unlimited. */
  connectTimeoutMs?: number;
}

/** See {@link Bus.idKey}. */
export function idKeyOf(credentials: BusCredentials | undefined, name: string): string {
  if (!credentials?.nkeySeed) return credentials?.principal ?? name;
  return createHmac('sha256', credentials.nkeySeed).update('msx-principal-ids/v1').digest('hex');
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
        // No stack captured for every request in case it fails: under load that capture (an Error per
        // request) costs more CPU than the request itself. Failures still name the subject and the cause.
        noAsyncTraces: true,
        ...natsAuthOptions(opts.credentials),
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
  const apiPrefix = jetStreamApiPrefixOf(opts.credentials);
  // A party cannot read account-wide JetStream information, so its manager is not checked against the API.
  const api = apiPrefix ? { apiPrefix } : {};
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(conn, { timeout: 10_000, ...api, checkAPI: !apiPrefix });
  } catch (err) {
    // JetStream does not answer (a cluster still electing its leader): no connection is left behind.
    await conn.close().catch(() => undefined);
    throw err;
  }
  const js = jetstream(conn, { timeout: 10_000, ...api });
  const publisher = new PipelinedPublisher(conn, js, 10_000, natsAuthOptions(opts.credentials).inboxPrefix);
  return {
    nc: conn,
    // Publishes with their acks on one subscription: no request objects per publish (see PipelinedPublisher).
    js: withPipelinedPublish(js, publisher),
    idKey: idKeyOf(opts.credentials, opts.name),
    jsm,
    close: async () => {
      // Acks that arrive while the connection drains still count; what is left after it, fails.
      await conn.drain();
      publisher.close();
    },
  };
}
