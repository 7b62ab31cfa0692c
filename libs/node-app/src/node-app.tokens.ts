/* Injection tokens of a node app: what `NodeAppModule` provides to its workers and to the node's handler. */

/** The node's id (`cp-it`, `jot-mare`), as in its subjects. */
export const NODE_ID = Symbol('MSX_NODE_ID');
/** The node kind's `InboxHandler`. */
export const INBOX_HANDLER = Symbol('MSX_INBOX_HANDLER');
/** The node's `HoldingsStore`: the items it received and what it derived from them, in its own schema. */
export const HOLDINGS = Symbol('MSX_HOLDINGS');
/** The pinned router public key (SPKI DER) every inbox copy must be vouched for with. */
export const ROUTER_PUBLIC_KEY = Symbol('MSX_ROUTER_PUBLIC_KEY');
/** The checkpoint witness's `WitnessOptions`; provided only when the node keeps a witness. */
export const WITNESS_OPTIONS = Symbol('MSX_WITNESS_OPTIONS');
/** How often, in milliseconds, the node erases what its retention no longer allows it to keep. */
export const RETENTION_SWEEP_MS = Symbol('MSX_RETENTION_SWEEP_MS');
