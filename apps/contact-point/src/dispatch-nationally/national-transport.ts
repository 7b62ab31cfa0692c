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

/** Passes a dispatch to an authority; resolves once the authority accepted it, or throws saying why not. */
export interface NationalTransport {
  send(authority: NationalAuthority, out: Outgoing, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** The reason a dispatch failed, short and free of what was sent (it is logged and audited). */
export class DispatchFailed extends Error {
  override name = 'DispatchFailed';
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

  send(authority: NationalAuthority, out: Outgoing, timeoutMs: number): Promise<void> {
    const { endpoint } = authority;
    return endpoint.transport === 'nats'
      ? this.request(endpoint, out, timeoutMs)
      : this.post(endpoint, out, timeoutMs);
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
  ): Promise<void> {
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
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
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
