/**
 * Public entry of the runtime library: what every MSX service process shares (bus, boot, health, workers, RPC
 * errors, broker credentials, the audit gate, the operations listener and metrics), and what every reader of
 * inboxes shares, node apps and the gateway alike (the pinned router key, the voucher check of a delivered
 * copy). The node side is `#node-app`.
 */
export * from './bus.module.js';
export * from './health.js';
export * from './bootstrap.js';
export * from './idle-memory.js';
export * from './worker-service.js';
export * from './audit-status.js';
export * from './audit-gate.js';
export * from './rpc-errors.js';
export * from './nats-credentials.js';
export * from './router-key.js';
export * from './delivered-copy.js';
export * from './periodic.js';
export * from './shutdown.js';
export * from './service-metrics.js';
export * from './ops-server.js';
export * from './ops-providers.js';
