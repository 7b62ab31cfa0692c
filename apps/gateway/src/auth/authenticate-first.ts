import type { FastifyInstance } from 'fastify';
import type { MsxRequest } from '../http/request-context.js';
import type { GatewayTokens } from './gateway-tokens.js';

/** The routes that need a credential: the API. Liveness, readiness and unknown paths need none. */
export const AUTHENTICATED_PREFIX = '/v1/';

/**
 * Finds the caller's credential before anything else looks at the request: a caller without a valid one is
 * answered 401 (or 429 while held off) before its body is read or parsed, so strangers can cause no other
 * refusal (415, 400, 413), and every refusal they cause is one the audit trail summarises. The guards then
 * check the role against what was found here.
 */
export function installAuthenticateFirst(fastify: FastifyInstance, tokens: GatewayTokens): void {
  fastify.addHook('onRequest', (req, _reply, done) => {
    if (!req.url.startsWith(AUTHENTICATED_PREFIX)) {
      done();
      return;
    }
    tokens.identify(req as MsxRequest).then(
      () => done(),
      (err: Error) => done(err),
    );
  });
}
