import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MsxError, type PreviewAnswer } from '#contracts';
import { actingOfficer } from '../auth/officer-binding.js';
import { NodeTokenGuard } from '../auth/node-token.guard.js';
import { contextOf, type MsxRequest } from '../http/request-context.js';
import {
  AcknowledgeDocs,
  DecideShareDocs,
  ForwardDocs,
  MessageDocs,
  PreviewMessageDocs,
  ReceiptsDocs,
  RecallDocs,
  RequestShareDocs,
} from '../openapi/route-docs.js';
import type { SubmitResult } from '../submit-message/submit-message.handler.js';
import { MessagesHandler, type Actor, type MessageView, type Receipts } from './messages.handler.js';

/**
 * HTTP adapter: what an officer (or a node's system) does with one message its party sent or received, and
 * the preview of a draft. A message the party neither sent nor received is a 404, the same as one that does
 * not exist. Actions answer 202 like a submission: the action is an envelope, routed like any other.
 */
@Controller('v1/messages')
@UseGuards(NodeTokenGuard)
export class MessagesController {
  constructor(private readonly handler: MessagesHandler) {}

  /** `POST /v1/messages/preview`: who would receive this envelope, and who not under which rule. */
  @Post('preview')
  @HttpCode(200)
  @PreviewMessageDocs()
  preview(
    @Body() body: unknown,
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PreviewAnswer> {
    return this.handler.preview(actorOf(req, reply, false), body);
  }

  /** `GET /v1/messages/:id`: the message as the party sees it, with its copy for a recipient. */
  @Get(':id')
  @MessageDocs()
  find(
    @Param('id') id: string,
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MessageView> {
    return this.handler.find(actorOf(req, reply), id);
  }

  /** `GET /v1/messages/:id/receipts`: for its originator, what became of a submission. */
  @Get(':id/receipts')
  @ReceiptsDocs()
  receipts(
    @Param('id') id: string,
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Receipts> {
    return this.handler.receipts(actorOf(req, reply), id);
  }

  /** `POST /v1/messages/:id/acknowledgement` with `{}`. */
  @Post(':id/acknowledgement')
  @HttpCode(202)
  @AcknowledgeDocs()
  acknowledge(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmitResult> {
    return this.handler.acknowledge(actorOf(req, reply), id, body);
  }

  /** `POST /v1/messages/:id/share-requests` with `{ proposedRecipients, justification }`. */
  @Post(':id/share-requests')
  @HttpCode(202)
  @RequestShareDocs()
  requestShare(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmitResult> {
    return this.handler.requestShare(actorOf(req, reply), id, body);
  }

  /** `POST /v1/messages/:id/share-decisions` with `{ requestId, granted, reason, grantedRecipients?, validUntil? }`. */
  @Post(':id/share-decisions')
  @HttpCode(202)
  @DecideShareDocs()
  decideShare(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmitResult> {
    return this.handler.decideShare(actorOf(req, reply), id, body);
  }

  /** `POST /v1/messages/:id/forward` with `{ consentRef, recipients }`. */
  @Post(':id/forward')
  @HttpCode(202)
  @ForwardDocs()
  forward(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmitResult> {
    return this.handler.forward(actorOf(req, reply), id, body);
  }

  /** `POST /v1/messages/:id/recall` with `{ reason, explanation }`. */
  @Post(':id/recall')
  @HttpCode(202)
  @RecallDocs()
  recall(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmitResult> {
    return this.handler.recall(actorOf(req, reply), id, body);
  }
}

/**
 * The party and the person acting: a personal credential's holder, or the officer a node's system credential
 * names in `x-msx-officer`. A preview's person is its envelope's author, checked with the envelope.
 * @throws OfficerNotOfNodeError (403) for anyone else; MsxError `GATEWAY.BAD_REQUEST` when no one is named
 */
export function actorOf(req: MsxRequest, reply: FastifyReply, officerRequired = true): Actor {
  const ctx = contextOf(req);
  void reply.header('x-correlation-id', ctx.correlationId);
  const node = ctx.node!;
  const officer = actingOfficer(req.headers['x-msx-officer'], node, 'x-msx-officer', ctx.officer);
  if (officerRequired && officer === undefined) {
    throw new MsxError(
      'GATEWAY.BAD_REQUEST',
      `header x-msx-officer must name the officer acting (for example ${node}.officer-17)`,
    );
  }
  return { node, officer: officer ?? '', correlationId: ctx.correlationId, holder: ctx.officer };
}
