import { host, int, oneOf, optionalInt, optionalStr, schemaName, str, url } from './config.js';

/** Where the bus is. */
export const natsSpec = {
  /** NATS server URL(s), comma separated. */
  MSX_NATS_URL: url(['nats', 'tls'], 'nats://127.0.0.1:4222', { list: true }),
  /** Replicas of every stream: 1 on one server, 3 in a cluster. */
  MSX_STREAM_REPLICAS: int(1, 1, 5),
  /**
   * File holding this service's or node's NKey seed, when the broker requires authentication (a
   * configuration from `npm run nats:config`); absent for an open local server.
   */
  MSX_NATS_NKEY_SEED_FILE: optionalStr(),
  /** PEM file of the CA that signed the broker's certificate: set it and the connection must use TLS. */
  MSX_NATS_CA_FILE: optionalStr(),
  /** PEM certificate and key of this principal, for a broker that requires mutual TLS. */
  MSX_NATS_CERT_FILE: optionalStr(),
  MSX_NATS_KEY_FILE: optionalStr(),
};

/** Where the audit store is. */
export const databaseSpec = {
  MSX_DATABASE_URL: url(['postgres', 'postgresql'], 'postgres://postgres@127.0.0.1:5432/postgres'),
  /** The schema that holds MSX's tables; tests use their own. */
  MSX_DATABASE_SCHEMA: schemaName('msx'),
};

export const logSpec = {
  MSX_LOG_LEVEL: oneOf(['error', 'warn', 'log', 'debug', 'verbose'] as const, 'log'),
};

/** Path of the directory of parties (deploy/directory.yaml). */
export const directorySpec = {
  MSX_DIRECTORY_FILE: str('deploy/directory.yaml'),
};

/**
 * The operations listener of a service: `/healthz`, `/readyz` and Prometheus `/metrics` over plain HTTP. It
 * answers anyone who reaches it and its metrics are operational metadata, so it listens on loopback unless
 * told otherwise.
 */
export const opsSpec = {
  /** Interface of the operations listener. */
  MSX_OPS_HOST: host('127.0.0.1'),
  /** Its TCP port; unset: the service runs no operations listener. */
  MSX_OPS_PORT: optionalInt(1, 65_535),
};
