import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../gateway.config.js';
import { GATEWAY_CONFIG } from '../gateway.tokens.js';
import { hasBody } from './json-only.js';
import { SECURITY_HEADERS } from './security-headers.js';

/**
 * A request body must arrive whole within MSX_GATEWAY_REQUEST_TIMEOUT_MS of its headers: a sender that
 * trickles bytes is answered 408 and its connection closed, instead of holding a socket and a parser for
 * as long as it likes. (Node's own request timeout does not cover a body once the headers are in; its
 * headers timeout, 60 s, covers the headers.)
 */
@Injectable()
export class RequestDeadline implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const ms = this.config.MSX_GATEWAY_REQUEST_TIMEOUT_MS;
    fastify.addHook('onRequest', (req, reply, done) => {
      if (req.raw.complete || !hasBody(req)) {
        done();
        return;
      }
      const timer = setTimeout(() => {
        if (req.raw.complete || reply.raw.headersSent) return;
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
      const clear = () => clearTimeout(timer);
      req.raw.once('end', clear);
      req.raw.once('close', clear);
      reply.raw.once('close', clear);
      done();
    });
  }
}
