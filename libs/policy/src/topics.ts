import { PAYLOAD_KINDS, ROUTE_TOKENS, type Envelope } from '#contracts';

/**
 * The topics an envelope is published under, derived from its type and route (`intel.vessel.central-med`).
 * Products and control messages have none: they reach the parties they name or concern only.
 */
export function topicsOf(envelope: Envelope): string[] {
  const type = envelope.payload.case ? PAYLOAD_KINDS[envelope.payload.case].topic : null;
  if (!type) return [];
  return [`intel.${type}.${ROUTE_TOKENS[envelope.route]}`];
}
