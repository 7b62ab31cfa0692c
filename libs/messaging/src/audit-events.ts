import { randomUUID } from 'node:crypto';
import { encodeAuditEvent, encodeAuditEventBatch, type AuditEvent } from '#contracts';
import type { JetStreamClient } from '@nats-io/jetstream';
import { publishDurably } from './publisher.js';
import { Headers, Subjects } from './subjects.js';

/**
 * Random for each process, secret to it: the prefix of the `Nats-Msg-Id` of every audit publish. `MSX_AUDIT`
 * deduplicates on `Nats-Msg-Id` across all publishers, and event ids are predictable (name-based, or the
 * router's `<envelope id>:audit`); with this prefix no other principal can compute the id of another's
 * publish, so none can make the stream drop it as a duplicate (DESIGN §4, audit identity per publisher).
 */
const PROCESS_NONCE = randomUUID();

/** The `Nats-Msg-Id` of an audit publish whose caller-given deduplication id is `id`. */
function auditMsgId(id: string): string {
  return `${PROCESS_NONCE}:${id}`;
}

/**
 * Publishes an audit event on `msx.audit.<publisher>`. `publisher` is the node or core service whose
 * credentials publish it; the audit store keys the event by (publisher, event id).
 *
 * Deduplication: the `Nats-Msg-Id` is {@link auditMsgId} of the event id, so a retry within this process is
 * stored once by the stream, and no other principal can pre-empt it. A retry after a restart carries another
 * prefix and may be stored twice in the stream; the audit store's (publisher, event id) key records it once.
 */
export async function publishAuditEvent(
  js: JetStreamClient,
  publisher: string,
  event: AuditEvent,
): Promise<void> {
  await publishDurably(js, Subjects.audit(publisher), encodeAuditEvent(event), {
    msgID: auditMsgId(event.eventId),
    headers: event.correlationId ? { [Headers.correlationId]: event.correlationId } : undefined,
  });
}

/**
 * Publishes the audit events of one operation as a single message (one broker write instead of one per
 * event); each event keeps its own id, so the audit service stores each once per publisher.
 *
 * Deduplication as for {@link publishAuditEvent}: the `Nats-Msg-Id` is {@link auditMsgId} of `msgID` (a
 * single event is published alone, under its event id).
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
    msgID: auditMsgId(msgID),
    headers: {
      [Headers.auditBatch]: '1',
      ...(correlationId ? { [Headers.correlationId]: correlationId } : {}),
    },
  });
}
