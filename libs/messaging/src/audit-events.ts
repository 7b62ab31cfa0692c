import { encodeAuditEvent, encodeAuditEventBatch, type AuditEvent } from '#contracts';
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

/**
 * Publishes the audit events of one operation as a single message (one broker write instead of one per
 * event), deduplicated by `msgID`; each event keeps its own id, so the audit service stores each once.
 */
export async function publishAuditEvents(
  js: JetStreamClient,
  publisher: string,
  events: readonly AuditEvent[],
  msgID: string,
): Promise<void> {
  if (events.length === 1) return publishAuditEvent(js, publisher, events[0]);
  const correlationId = events.find((e) => e.correlationId)?.correlationId;
  await publishDurably(js, Subjects.audit(publisher), encodeAuditEventBatch(events), {
    msgID,
    headers: {
      [Headers.auditBatch]: '1',
      ...(correlationId ? { [Headers.correlationId]: correlationId } : {}),
    },
  });
}
