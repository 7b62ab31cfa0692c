import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { NodeTokenGuard } from '../auth/node-token.guard.js';
import { contextOf, type MsxRequest } from '../http/request-context.js';
import { SubmitMessageHandler, type SubmitResult } from './submit-message.handler.js';
import { SubmitMessageDocs } from '../openapi/route-docs.js';

/** HTTP adapter: an officer submits an envelope (any payload its node may publish) for routing. */
@Controller('v1/messages')
@UseGuards(NodeTokenGuard)
export class SubmitMessageController {
  constructor(private readonly handler: SubmitMessageHandler) {}

  /** 202: accepted for routing; the receipt (who got it, what was withheld) arrives in the node's inbox. */
  @Post()
  @HttpCode(202)
  @SubmitMessageDocs()
  submit(
    @Body() body: unknown,
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmitResult> {
    const ctx = contextOf(req);
    void reply.header('x-correlation-id', ctx.correlationId);
    return this.handler.submit(body, ctx.node!, ctx.correlationId, ctx.officer);
  }
}
