import { Controller, Get, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { NodeTokenGuard } from '../auth/node-token.guard.js';
import { contextOf, type MsxRequest } from '../http/request-context.js';
import { checkInboxQuery, ReadInboxHandler, type InboxPage } from './read-inbox.handler.js';

/** HTTP adapter: an officer reads the inbox of the node its token belongs to, and no other. */
@Controller('v1/inbox')
@UseGuards(NodeTokenGuard)
export class ReadInboxController {
  constructor(private readonly handler: ReadInboxHandler) {}

  /**
   * `GET /v1/inbox?after=<seq>&limit=<n>`: an officer reads with their own credential; a node's system
   * credential names the officer reading in the header `x-msx-officer`.
   */
  @Get()
  read(
    @Query() q: { after?: unknown; limit?: unknown },
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InboxPage> {
    const ctx = contextOf(req);
    void reply.header('x-correlation-id', ctx.correlationId);
    const node = ctx.node!;
    const query = checkInboxQuery(node, req.headers['x-msx-officer'], q.after, q.limit, ctx.officer);
    return this.handler.read({ ...query, node, correlationId: ctx.correlationId });
  }
}
