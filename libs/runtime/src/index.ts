/** Public entry of the runtime library: what every MSX service process shares (bus, health, boot, node inbox). */
export * from './bus.module.js';
export * from './health.js';
export * from './bootstrap.js';
export * from './inbox-worker.js';
export * from './node-app.module.js';
export * from './node-app.config.js';
export * from './checkpoint-witness.js';
export * from './worker-service.js';
export * from './audit-status.js';
export * from './audit-gate.js';
export * from './rpc-errors.js';
export * from './copy-store.js';
export * from './erasure-receipt.js';
export * from './nats-credentials.js';
export * from './router-key.js';
export * from './delivered-copy.js';
