import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
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

@Injectable()
export class SecurityHeaders implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // onRequest runs first for every request, before parsing, authentication and routing.
    fastify.addHook('onRequest', (_req, reply, done) => {
      void reply.headers(SECURITY_HEADERS);
      done();
    });
  }
}
