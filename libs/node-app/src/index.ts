/** Public entry of the node-app library: the node side of each node app (inbox, holdings, erasure, witness). */
export * from './node-app.tokens.js';
export * from './node-app.module.js';
export * from './node-app.config.js';
export * from './run-node-app.js';
export * from './inbox-worker.js';
export * from './holdings/holdings-store.js';
export * from './erasure-receipt.js';
export * from './checkpoint-witness.js';
export * from './node-erasure.js';
export * from './retention-sweeper.js';
export * from './sharing-check.js';
export * from './handlers-in-order.js';
export * from './blind-index/matching-key.js';
export * from './blind-index/blind-envelopes.js';
export * from './blind-index/blind-indexer.js';
