/** Public entry of the identity library: the credentials people and systems use at the gateway. */
export * from './credential.js';
export * from './credential-store.js';
