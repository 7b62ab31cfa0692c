import { encodeAuditEvent, type AuditEvent } from '#contracts';
import type { JetStreamClient } from '@nats-io/jetstream';
import { publishDurably } from './publisher.js';
import { Headers, Subjects } from './subjects.js';

/**
 * Publishes an audit event on `msx.audit.<publisher>`; the event id is the deduplication id, so a retried
 * operation yields one event. `publisher` is the node or core service whose credentials publish it.
 */
export async function publishAuditEvent(
  js: JetStreamClient,
  publisher: string,
  event: AuditEvent,
): Promise<void> {
  await publishDurably(js, Subjects.audit(publisher), encodeAuditEvent(event), {
    msgID: event.eventId,
    headers: event.correlationId ? { [Headers.correlationId]: event.correlationId } : undefined,
  });
}
