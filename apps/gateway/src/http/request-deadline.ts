import type { FastifyInstance } from 'fastify';
import { hasBody } from './json-only.js';
import { SECURITY_HEADERS } from './security-headers.js';

/**
 * A request body must arrive whole within MSX_GATEWAY_REQUEST_TIMEOUT_MS of its headers: a sender that
 * trickles bytes is answered 408 and its connection closed, instead of holding a socket and a parser for
 * as long as it likes. (Node's own request timeout does not cover a body once the headers are in; its
 * headers timeout, 60 s, covers the headers.)
 */
export function installRequestDeadline(fastify: FastifyInstance, ms: number): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    if (req.raw.complete || !hasBody(req)) {
      done();
      return;
    }
    const timer = setTimeout(() => {
      if (req.raw.complete) return;
      // Answered already (a refusal before the body was read): the rest of the body is not waited for.
      if (reply.raw.headersSent || reply.sent) {
        req.raw.socket?.destroy();
        return;
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
      reply.raw.end(body, () => req.raw.socket?.destroy());
    }, ms);
    // Only the body's end or the socket's: an answer sent before the body is in does not end the wait.
    const clear = () => clearTimeout(timer);
    req.raw.once('end', clear);
    req.raw.socket?.once('close', clear);
    done();
  });
}
