/** Injection tokens of the gateway. */
export const GATEWAY_CONFIG = Symbol('MSX_GATEWAY_CONFIG');
