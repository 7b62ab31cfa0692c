import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { AuditOperation, nameBasedId, newAuditEvent, sha256Hex, type AuditEvent } from '#contracts';
import { publishAuditEvent } from './audit-events.js';
import { publishDurably } from './publisher.js';
import { Headers, Subjects } from './subjects.js';

/** Why a message was given up on: the stable error code and a sentence. */
export interface DeadLetterReason {
  code: string;
  message: string;
}

/**
 * Where a message given up on goes. Resolving means it is kept and recorded there; a rejection means it is
 * not, and the worker naks the message so it comes back (nothing is dropped silently).
 */
export type DeadLetterSink = (msg: JsMsg, reason: DeadLetterReason) => Promise<void>;

/**
 * Moves a message to `msx.dlq.<service>` with its original bytes and the reason in headers, deduplicated by
 * service, origin stream and sequence so a retry cannot store it twice (and two services each keep theirs).
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  service: string,
  msg: JsMsg,
  reason: DeadLetterReason,
): Promise<void> {
  const info = msg.info;
  await publishDurably(js, Subjects.deadLetter(service), msg.data, {
    msgID: `dlq:${service}:${info.stream}:${info.streamSequence}`,
    headers: {
      [Headers.deadLetterCode]: reason.code,
      // Header values are single-line; the reason never carries message contents.
      [Headers.deadLetterReason]: reason.message.replace(/[\r\n]+/g, ' ').slice(0, 1000),
      [Headers.originSubject]: msg.subject,
      [Headers.originStream]: info.stream,
      [Headers.originSequence]: String(info.streamSequence),
      [Headers.deliveryCount]: String(info.deliveryCount),
      ...(msg.headers?.get(Headers.correlationId)
        ? { [Headers.correlationId]: msg.headers.get(Headers.correlationId) }
        : {}),
    },
  });
}

/**
 * The audit event for a dead-lettered message: who gave up on it (`actorPerson`, a service), whose it was
 * (`actorNode`), the code of the reason, the hash of the exact bytes, and where the message is (origin
 * subject, stream and sequence, plus `detail`). Its id is derived from the origin stream and sequence, so it
 * is recorded once however often the dead-lettering is retried.
 */
export function deadLetterAuditEvent(
  msg: JsMsg,
  reason: DeadLetterReason,
  actorNode: string,
  actorPerson: string,
  detail: Record<string, unknown> = {},
): AuditEvent {
  return newAuditEvent({
    eventId: nameBasedId(actorPerson, msg.info.stream, String(msg.info.streamSequence), 'dead-lettered'),
    operation: AuditOperation.DEAD_LETTERED,
    actorNode,
    actorPerson,
    messageSha256: sha256Hex(msg.data),
    rule: reason.code,
    correlationId: msg.headers?.get(Headers.correlationId) ?? '',
    detailJson: JSON.stringify({
      reason: reason.message,
      subject: msg.subject,
      stream: msg.info.stream,
      sequence: msg.info.streamSequence,
      ...detail,
    }),
  });
}

/**
 * A dead-letter sink for a node: on the isolated broker a node may store only through its own submit and
 * audit subjects, so the message is not moved. It stays in its origin stream (which keeps it for
 * `keptForDays`) and only the audit event, published on the node's own audit subject, records that it was
 * given up on and where it is (stream and sequence).
 */
export function auditDeadLetters(
  js: JetStreamClient,
  node: string,
  actorPerson: string,
  keptForDays: number,
): DeadLetterSink {
  return (msg, reason) =>
    publishAuditEvent(
      js,
      node,
      deadLetterAuditEvent(msg, reason, node, actorPerson, { keptIn: msg.info.stream, keptForDays }),
    );
}
