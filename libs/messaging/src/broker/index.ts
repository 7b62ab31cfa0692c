export * from './permissions.js';
export * from './nats-server-config.js';
