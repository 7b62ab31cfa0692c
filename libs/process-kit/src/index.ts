/**
 * Public entry of the process kit: the one way the tests, `npm start` and the benchmark start, watch and stop
 * child processes (services from the build, nats-server, the embedded PostgreSQL), the list of services
 * of a local exchange (`deploy/services.yaml`), and a TCP relay that can cut a link (a post's, in the demo and
 * the tests).
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
export * from './tcp-relay.js';
