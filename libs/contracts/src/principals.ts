/**
 * The exchange's own services, by the principal each connects to the broker, publishes audit events and
 * acts under. Every other principal is a party: a node of the directory.
 */
export const SERVICE_PRINCIPALS = {
  router: 'msx-router',
  audit: 'msx-audit',
  gateway: 'msx-gateway',
} as const;

export type CoreService = keyof typeof SERVICE_PRINCIPALS;

/** The router: it sends delivery receipts and the recalls of expired items, and signs deliveries. */
export const ROUTER_NODE = SERVICE_PRINCIPALS.router;
/** The audit service: it writes the trail, and the rows about the trail itself (dead letters, retention). */
export const AUDIT_NODE = SERVICE_PRINCIPALS.audit;
/** The HTTP gateway of liaison officers: it audits the requests it refuses and the reads it serves. */
export const GATEWAY_NODE = SERVICE_PRINCIPALS.gateway;
/** The operator's principal: full rights in the core account (inspection, replay of dead letters). */
export const ADMIN_PRINCIPAL = 'msx-admin';
