import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { installAuthenticateFirst } from '../auth/authenticate-first.js';
import { GatewayTokens } from '../auth/gateway-tokens.js';
import type { GatewayConfig } from '../gateway.config.js';
import { GATEWAY_CONFIG } from '../gateway.tokens.js';
import { installJsonOnly } from './json-only.js';
import { installRequestDeadline } from './request-deadline.js';
import { installSecurityHeaders } from './security-headers.js';

/**
 * What every request meets before a route sees it, in this order (Fastify runs hooks in the order they are
 * added, and a refusal ends the chain):
 * 1. the security headers, so that every answer has them;
 * 2. the deadline of the body, so that a request refused early still cannot hold its socket;
 * 3. the credential, so that a stranger is refused 401 before the body is read;
 * 4. JSON only (at parsing), so that nothing else ever reads a body.
 */
@Injectable()
export class GatewayEdge implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tokens: GatewayTokens,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    installSecurityHeaders(fastify);
    installRequestDeadline(fastify, this.config.MSX_GATEWAY_REQUEST_TIMEOUT_MS);
    installAuthenticateFirst(fastify, this.tokens);
    installJsonOnly(fastify);
  }
}
