/** Public entry of the test harness: private nats-servers, own schemas, service processes, valid envelopes. */
export * from './nats-server.js';
export * from './nats-cluster.js';
export * from './postgres.js';
export * from './wait-for.js';
export * from './embedded-postgres.js';
export * from './test-directory.js';
export * from './secure-broker.js';
export * from './secure-cluster.js';
export * from './replicated-postgres.js';
// The process kit's pieces tests use most, under the names they have always had here.
export {
  freePort,
  startService,
  startTcpRelay,
  waitForPort,
  type ServiceProcess,
  type TcpRelay,
} from '#process-kit';
export * from './envelopes/index.js';
export * from './audit-events.js';
