import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { MsxError } from '#contracts';

export interface PublishOptions {
  /** Deduplication id (`Nats-Msg-Id`); the same id within the stream's window is stored once. */
  msgID: string;
  headers?: Record<string, string>;
  /** Attempts before giving up; safe because of `msgID`. */
  attempts?: number;
  /** How long each attempt waits for the stream's ack, in milliseconds (default: the client's, 10 s). */
  timeoutMs?: number;
}

/** Builds NATS headers from a plain record. */
export function toHeaders(record: Record<string, string> | undefined): MsgHdrs | undefined {
  if (!record) return undefined;
  const h = natsHeaders();
  for (const [k, v] of Object.entries(record)) h.set(k, v);
  return h;
}

/**
 * Publishes to a stream and waits for the server's ack, retrying with backoff. Because every publish
 * carries a `msgID`, a retry after a lost ack is stored once.
 * @throws MsxError `BUS.PUBLISH_FAILED` (retryable) when the stream did not confirm
 */
export async function publishDurably(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  opts: PublishOptions,
): Promise<PubAck> {
  const attempts = opts.attempts ?? 3;
  const headers = toHeaders(opts.headers);
  let lastErr: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await js.publish(subject, data, { msgID: opts.msgID, headers, timeout: opts.timeoutMs });
    } catch (err) {
      lastErr = err;
      if (attempt < attempts) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
  throw new MsxError(
    'BUS.PUBLISH_FAILED',
    `publish to ${subject} not confirmed: ${(lastErr as Error)?.message}`,
    {
      cause: lastErr,
      retryable: true,
    },
  );
}
