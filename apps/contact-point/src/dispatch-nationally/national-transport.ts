import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { AuthorityEndpoint, NationalAuthority } from './national-authorities.js';

/** One dispatch as it leaves the contact point. */
export interface Outgoing {
  /** Stable per item (or recall) and authority: the receiver drops a second copy by it. */
  dispatchId: string;
  kind: 'item' | 'recall';
  /** JSON, UTF-8. */
  body: Uint8Array;
}

/**
 * Passes a dispatch to an authority; resolves once the authority accepted it, or throws saying why not:
 * {@link DispatchFailed}, or {@link DispatchInterrupted} when `stop` was aborted first.
 */
export interface NationalTransport {
  send(authority: NationalAuthority, out: Outgoing, timeoutMs: number, stop?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** The reason a dispatch failed, short and free of what was sent (it is logged and audited). */
export class DispatchFailed extends Error {
  override name = 'DispatchFailed';
}

/**
 * The contact point stopped while a dispatch was on its way: not the authority's failure, so it counts as no
 * attempt. The dispatch is sent again after the restart, under the same id, in case it had arrived.
 */
export class DispatchInterrupted extends Error {
  override name = 'DispatchInterrupted';
  constructor() {
    super('the contact point stopped while the dispatch was on its way');
  }
}

/** Settles with `work`, or rejects with {@link DispatchInterrupted} as soon as `stop` is aborted. */
function unlessStopped<T>(work: Promise<T>, stop: AbortSignal | undefined): Promise<T> {
  if (!stop) return work;
  if (stop.aborted) return Promise.reject(new DispatchInterrupted());
  return new Promise<T>((resolve, reject) => {
    const onStop = () => reject(new DispatchInterrupted());
    stop.addEventListener('abort', onStop, { once: true });
    work.then(resolve, reject).finally(() => stop.removeEventListener('abort', onStop));
  });
}

/** A JetStream publish acknowledgement that is an error, or any reply that says `error`. */
function replyError(data: Uint8Array): string | undefined {
  if (data.length === 0 || data[0] !== 0x7b) return undefined;
  try {
    const reply = JSON.parse(new TextDecoder().decode(data)) as { error?: { description?: string } | string };
    if (reply.error === undefined) return undefined;
    return typeof reply.error === 'string' ? reply.error : (reply.error.description ?? 'error');
  } catch {
    return undefined;
  }
}

/**
 * Reaches national authorities over NATS (request and reply on the authority's own server: a reply accepts,
 * for example the PubAck of a stream that captures the subject) and HTTP (a POST answered 2xx accepts). Each
 * dispatch carries its id (`Msx-Dispatch-Id`; `Nats-Msg-Id` too, so a stream drops a repeat), since a
 * dispatch whose acceptance was lost is sent again.
 */
export class AuthorityTransport implements NationalTransport {
  private readonly connections = new Map<string, Promise<NatsConnection>>();

  constructor(private readonly name: string) {}

  send(authority: NationalAuthority, out: Outgoing, timeoutMs: number, stop?: AbortSignal): Promise<void> {
    const { endpoint } = authority;
    // A request over NATS cannot be called off: it is left to time out on its own, unawaited.
    return endpoint.transport === 'nats'
      ? unlessStopped(this.request(endpoint, out, timeoutMs), stop)
      : this.post(endpoint, out, timeoutMs, stop);
  }

  private connection(endpoint: Extract<AuthorityEndpoint, { transport: 'nats' }>): Promise<NatsConnection> {
    const key = `${endpoint.url}\u0000${endpoint.token ?? ''}`;
    let nc = this.connections.get(key);
    if (!nc) {
      nc = connect({
        servers: endpoint.url,
        name: this.name,
        ...(endpoint.token ? { token: endpoint.token } : {}),
        maxReconnectAttempts: -1,
        timeout: 5_000,
      });
      this.connections.set(key, nc);
      // A server that cannot be reached now is tried afresh at the next attempt.
      nc.then(
        (c) => void c.closed().then(() => this.connections.delete(key)),
        () => this.connections.delete(key),
      );
    }
    return nc;
  }

  private async request(
    endpoint: Extract<AuthorityEndpoint, { transport: 'nats' }>,
    out: Outgoing,
    timeoutMs: number,
  ): Promise<void> {
    let nc: NatsConnection;
    try {
      nc = await this.connection(endpoint);
    } catch (err) {
      throw new DispatchFailed(`cannot connect to ${endpoint.url}: ${(err as Error).message}`);
    }
    const h = natsHeaders();
    h.set('Nats-Msg-Id', out.dispatchId);
    h.set('Msx-Dispatch-Id', out.dispatchId);
    h.set('Msx-Dispatch-Kind', out.kind);
    h.set('Content-Type', 'application/json');
    let reply;
    try {
      reply = await nc.request(endpoint.subject, out.body, { timeout: timeoutMs, headers: h });
    } catch (err) {
      const e = err as Error;
      throw new DispatchFailed(`no acceptance on ${endpoint.subject}: ${e.message}`);
    }
    const error = replyError(reply.data);
    if (error !== undefined) throw new DispatchFailed(`${endpoint.subject} answered with an error: ${error}`);
  }

  private async post(
    endpoint: Extract<AuthorityEndpoint, { transport: 'http' }>,
    out: Outgoing,
    timeoutMs: number,
    stop?: AbortSignal,
  ): Promise<void> {
    if (stop?.aborted) throw new DispatchInterrupted();
    let res: Response;
    try {
      res = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': out.dispatchId,
          'msx-dispatch-id': out.dispatchId,
          'msx-dispatch-kind': out.kind,
          ...(endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {}),
        },
        body: new TextDecoder().decode(out.body),
        // A redirect could carry the item somewhere the configuration does not name.
        redirect: 'error',
        signal: stop
          ? AbortSignal.any([AbortSignal.timeout(timeoutMs), stop])
          : AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (stop?.aborted) throw new DispatchInterrupted();
      const e = err as Error & { cause?: { code?: string } };
      throw new DispatchFailed(`POST ${new URL(endpoint.url).origin} failed: ${e.cause?.code ?? e.message}`);
    }
    // The answer's body is not read into logs: it could echo what was sent.
    await res.body?.cancel();
    if (!res.ok) throw new DispatchFailed(`POST ${new URL(endpoint.url).origin} answered HTTP ${res.status}`);
  }

  async close(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      all.map((p) =>
        p.then(
          (nc) => nc.drain().catch(() => nc.close()),
          () => undefined,
        ),
      ),
    );
  }
}
