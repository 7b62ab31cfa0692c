import { GATEWAY_NODE, MsxError, ROUTER_NODE, type AuditEvent } from '#contracts';
import type { PublishedAuditEvent } from '#audit-store';
import { ownerOf } from '#messaging';

/** Core services that publish audit events on behalf of the nodes they serve. */
export const TRUSTED_PUBLISHERS: ReadonlySet<string> = new Set([ROUTER_NODE, GATEWAY_NODE]);

/**
 * A node may only record its own operations: the event's actor must be the node whose subject carried it,
 * unless a core service (router, gateway) published it.
 * @throws MsxError `AUDIT.FORGED_ACTOR` (permanent)
 */
export function checkAuditPublisher(event: AuditEvent, publisher: string): void {
  if (event.actorNode !== publisher && !TRUSTED_PUBLISHERS.has(publisher)) {
    throw new MsxError(
      'AUDIT.FORGED_ACTOR',
      `event ${event.eventId} names actor ${event.actorNode} but was published by ${publisher}`,
    );
  }
  if (!event.eventId) throw new MsxError('AUDIT.EVENT_ID_MISSING', 'audit event without event id');
}

/**
 * The events of one audit message as the trail records them: each under the publisher of the subject that
 * carried it, so it is identified by (publisher, event id) and no other party can take its place.
 * @throws MsxError `AUDIT.FORGED_ACTOR` or `AUDIT.EVENT_ID_MISSING` (permanent) when any event may not be
 *   recorded: the whole message is refused
 */
export function eventsToRecord(subject: string, events: readonly AuditEvent[]): PublishedAuditEvent[] {
  const publisher = ownerOf(subject);
  for (const event of events) checkAuditPublisher(event, publisher);
  return events.map((event) => ({ publisher, event }));
}
