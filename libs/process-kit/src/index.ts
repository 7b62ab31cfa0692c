/**
 * Public entry of the process kit: the one way the tests, `npm start` and the benchmark start, watch and stop
 * child processes (services from the build, nats-server, the embedded PostgreSQL), and the list of services
 * of a local exchange (`deploy/services.yaml`).
 */
export * from './child-process.js';
export * from './embedded-postgres.js';
export * from './free-port.js';
export * from './nats-server.js';
export * from './owned-server.js';
export * from './reachable.js';
export * from './resident-memory.js';
export * from './service-process.js';
export * from './service-specs.js';
