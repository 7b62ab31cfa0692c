import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { publishDurably } from './publisher.js';
import { Headers, Subjects } from './subjects.js';

/** Why a message was given up on: the stable error code and a sentence. */
export interface DeadLetterReason {
  code: string;
  message: string;
}

/**
 * Moves a message to `msx.dlq.<service>` with its original bytes and the reason in headers, deduplicated by
 * origin stream and sequence so a retry cannot store it twice.
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  service: string,
  msg: JsMsg,
  reason: DeadLetterReason,
): Promise<void> {
  const info = msg.info;
  await publishDurably(js, Subjects.deadLetter(service), msg.data, {
    msgID: `dlq:${info.stream}:${info.streamSequence}`,
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
