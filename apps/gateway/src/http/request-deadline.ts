import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasBody } from './json-only.js';
import { SECURITY_HEADERS } from './security-headers.js';

/**
 * A request body must arrive whole within MSX_GATEWAY_REQUEST_TIMEOUT_MS of its headers: a sender that
 * trickles bytes is answered 408 and its connection closed, instead of holding a socket and a parser for
 * as long as it likes. (Node's own request timeout does not cover a body once the headers are in; its
 * headers timeout, 60 s, covers the headers.)
 */
export function installRequestDeadline(
  fastify: FastifyInstance,
  ms: number,
  /** Told of each request answered 408 (not of one refused already, whose refusal was told). */
  onExpired: (req: FastifyRequest) => void = () => undefined,
): void {
  // One sweep for all requests, not a timer and listeners per request: a request costs a map entry.
  const pending = new Map<
    IncomingMessage,
    { deadlineMs: number; req: FastifyRequest; reply: FastifyReply }
  >();
  const sweep = setInterval(
    () => {
      const nowMs = Date.now();
      for (const [raw, { deadlineMs, req, reply }] of pending) {
        if (raw.complete || raw.destroyed) pending.delete(raw);
        else if (nowMs >= deadlineMs) {
          pending.delete(raw);
          if (expire(raw, reply, ms)) onExpired(req);
        }
      }
    },
    Math.min(250, ms / 4),
  );
  sweep.unref();
  fastify.addHook('onClose', (_instance, done) => {
    clearInterval(sweep);
    done();
  });
  fastify.addHook('onRequest', (req, reply, done) => {
    if (!req.raw.complete && hasBody(req)) {
      const raw = req.raw;
      pending.set(raw, { deadlineMs: Date.now() + ms, req, reply });
      raw.once('end', () => pending.delete(raw));
    }
    done();
  });
}

/**
 * Ends a request whose body did not arrive in time: 408 and the connection closed, or only closed when
 * answered already.
 * @returns whether it was answered 408 here
 */
function expire(raw: IncomingMessage, reply: FastifyReply, ms: number): boolean {
  // Answered already (a refusal before the body was read): the rest of the body is not waited for.
  if (reply.raw.headersSent || reply.sent) {
    raw.socket?.destroy();
    return false;
  }
  // The answer is written here, not by Fastify, which then leaves the aborted request alone.
  reply.hijack();
  const body = JSON.stringify({
    type: 'urn:msx:problem:GATEWAY.REQUEST_TIMEOUT',
    title: 'Request Timeout',
    status: 408,
    detail: `the request did not arrive whole within ${ms} ms`,
    code: 'GATEWAY.REQUEST_TIMEOUT',
  });
  reply.raw.writeHead(408, {
    ...SECURITY_HEADERS,
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  reply.raw.end(body, () => raw.socket?.destroy());
  return true;
}
