/** Public entry of the directory library: the parties of the exchange, loaded and validated from deploy/. */
export * from './party.js';
export * from './payload-types.js';
export * from './directory.js';
export * from './topics.js';
export * from './load-directory.js';
export * from './retention.js';
