import type { FastifyInstance } from 'fastify';

/**
 * Headers on every answer, refusals and unknown routes included: what the gateway answers may be
 * intelligence, so no cache (the browser's, a proxy's) keeps it, no browser guesses another type for it, and
 * no page may frame it or run anything from it.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

/** Sets the headers on every answer; the first hook, so that every answer has them. */
export function installSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (_req, reply, done) => {
    void reply.headers(SECURITY_HEADERS);
    done();
  });
}
