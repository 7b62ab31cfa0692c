/**
 * Valid envelopes of every payload type, with realistic data: for tests, and for the demo's traffic and the
 * benchmark's items, which import this entry (`#testing/envelopes`) alone rather than the whole harness.
 */
export * from './intel-fixtures.js';
export * from './control-fixtures.js';
export * from './fixture-catalogue.js';
