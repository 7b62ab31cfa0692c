/** Injection token of the loaded directory. */
export const DIRECTORY = Symbol('MSX_DIRECTORY');
/** Injection token of the router's ledger. */
export const LEDGER = Symbol('MSX_LEDGER');
/** Injection token of the index of items that will expire: ledger state the router keeps in memory. */
export const EXPIRY_INDEX = Symbol('MSX_EXPIRY_INDEX');
/** Injection token of the router's keys: the key that signs deliveries and the key of its own ids. */
export const ROUTER_KEYS = Symbol('MSX_ROUTER_KEYS');
