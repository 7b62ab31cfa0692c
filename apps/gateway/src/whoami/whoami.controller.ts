import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GatewayTokens } from '../auth/gateway-tokens.js';
import { contextOf, type MsxRequest } from '../http/request-context.js';
import { WhoamiDocs } from '../openapi/route-docs.js';
import { whoamiOf, type Whoami } from './whoami.js';

/**
 * `GET /v1/me`: who the bearer credential is, for any valid credential of any role (a console shows its
 * person the screens of their role). Not intelligence, and not audited; answered no-store all the same.
 */
@Controller('v1/me')
export class WhoamiController {
  constructor(private readonly tokens: GatewayTokens) {}

  @Get()
  @WhoamiDocs()
  async me(@Req() req: MsxRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Whoami> {
    // Found before the body by AuthenticateFirst (every /v1/ route); 401 without a valid credential.
    const holder = await this.tokens.identify(req);
    void reply.header('x-correlation-id', contextOf(req).correlationId);
    void reply.header('cache-control', 'no-store');
    return whoamiOf(holder);
  }
}
