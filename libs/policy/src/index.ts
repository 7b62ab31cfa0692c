/** Public entry of the policy library: topics and the sharing rules, pure functions without I/O. */
export * from './facts.js';
export * from './sharing-rule.js';
export * from './selectors.js';
export * from './derived-intelligence.js';
export * from './submission-rules.js';
export * from './rules.js';
export * from './topics.js';
export * from './decide-recipients.js';
