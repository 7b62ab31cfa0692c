/** Public entry of the messaging library: subjects, topology, connection, publishing and the consumer base. */
export * from './subjects.js';
export * from './topology.js';
export * from './connection.js';
export * from './publisher.js';
export * from './pipelined-publisher.js';
export * from './dead-letter.js';
export * from './jetstream-worker.js';
export * from './audit-events.js';
export * from './broker/index.js';
export * from './post-outbox.js';
