export * from './permissions.js';
export * from './nats-server-config.js';
export * from './certificates.js';
export * from './broker-files.js';
export * from './exchange-credentials.js';
export * from './leaf-node.js';
