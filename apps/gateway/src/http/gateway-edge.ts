import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { installAuthenticateFirst } from '../auth/authenticate-first.js';
import { GatewayTokens } from '../auth/gateway-tokens.js';
import type { GatewayConfig } from '../gateway.config.js';
import { GATEWAY_CONFIG } from '../gateway.tokens.js';
import { installGracefulClose } from './graceful-close.js';
import { installJsonOnly } from './json-only.js';
import { RejectionAuditor } from './rejection-auditor.js';
import { contextOf, type MsxRequest } from './request-context.js';
import { installRequestDeadline } from './request-deadline.js';
import { installSecurityHeaders } from './security-headers.js';

/**
 * What every request meets before a route sees it, in this order (Fastify runs hooks in the order they are
 * added, and a refusal ends the chain):
 * 1. the security headers, so that every answer has them;
 * 2. the deadline of the body, so that a request refused early still cannot hold its socket;
 * 3. the credential, so that a stranger is refused 401 before the body is read;
 * 4. JSON only (at parsing), so that nothing else ever reads a body.
 * And when the gateway stops, the requests under way are answered before the connections close.
 */
@Injectable()
export class GatewayEdge implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tokens: GatewayTokens,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly rejections: RejectionAuditor,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    installSecurityHeaders(fastify);
    installRequestDeadline(fastify, this.config.MSX_GATEWAY_REQUEST_TIMEOUT_MS, (req) => this.timedOut(req));
    installAuthenticateFirst(fastify, this.tokens);
    installJsonOnly(fastify);
    installGracefulClose(fastify, this.config.MSX_GATEWAY_SHUTDOWN_GRACE_MS);
  }

  /**
   * A body that never arrived whole is refused like any other request and audited: summarised, since a
   * caller may repeat it at will, and with nothing of the body (none of it was read).
   */
  private timedOut(req: MsxRequest): void {
    const ctx = contextOf(req);
    // Authenticated before its body was waited for: the holder is known, though no route's guard ran yet.
    const holder = ctx.holder;
    void this.rejections.record({
      node: ctx.node ?? holder?.node,
      author: ctx.officer ?? ctx.auditor ?? (holder?.role === 'system' ? undefined : holder?.person),
      code: 'GATEWAY.REQUEST_TIMEOUT',
      status: 408,
      correlationId: ctx.correlationId,
      detail: {
        method: req.method,
        path: req.routeOptions?.url ?? '(unrouted)',
        ...(req.ip ? { address: req.ip } : {}),
        ...((ctx.credentialId ?? holder?.credentialId) !== undefined
          ? { credential: ctx.credentialId ?? holder?.credentialId }
          : {}),
      },
    });
  }
}
