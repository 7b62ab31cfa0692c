import type { FastifyRequest } from 'fastify';
import { uuidv7 } from '#contracts';
import type { TokenHolder } from '../auth/gateway-tokens.js';

/** What the gateway learns about a request before the handler runs. */
export interface RequestContext {
  /** The node the bearer token belongs to, once authenticated. */
  node?: string;
  /** The auditor the bearer token belongs to, on audit-trail routes. */
  auditor?: string;
  /** The officer a personal credential belongs to: the person acting in every request it makes. */
  officer?: string;
  /** The credential presented, when it is one an administrator issued (not a configured node token). */
  credentialId?: string;
  /** Who the bearer token belongs to, once found (before the role is checked). */
  holder?: TokenHolder;
  correlationId: string;
}

/** A request with MSX's context and, for JSON bodies, the exact bytes received. */
export type MsxRequest = FastifyRequest & { msx?: RequestContext; rawBody?: Buffer };

const SAFE_CORRELATION_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The request's context, created on first use; a caller's `x-correlation-id` is kept when it is safe to log. */
export function contextOf(req: MsxRequest): RequestContext {
  if (!req.msx) {
    const given = req.headers['x-correlation-id'];
    const correlationId = typeof given === 'string' && SAFE_CORRELATION_ID.test(given) ? given : uuidv7();
    req.msx = { correlationId };
  }
  return req.msx;
}
