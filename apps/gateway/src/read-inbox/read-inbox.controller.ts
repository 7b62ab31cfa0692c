import {
  Controller,
  Get,
  Logger,
  Query,
  Req,
  Res,
  UseGuards,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MsxError } from '#contracts';
import { stopping } from '#runtime';
import { GatewayTokens } from '../auth/gateway-tokens.js';
import { NodeTokenGuard, NODE_ROLES, nodeRoleRefusal } from '../auth/node-token.guard.js';
import { contextOf, type MsxRequest } from '../http/request-context.js';
import { SECURITY_HEADERS } from '../http/security-headers.js';
import { endEvent, resumeAfter, runLiveInbox } from './live-inbox.js';
import { InboxPageDocs, LiveInboxDocs } from '../openapi/route-docs.js';
import {
  checkInboxQuery,
  DEFAULT_INBOX_PAGE,
  ReadInboxHandler,
  type InboxPage,
} from './read-inbox.handler.js';

/** HTTP adapter: an officer reads the inbox of the node its token belongs to, and no other. */
@Controller('v1/inbox')
@UseGuards(NodeTokenGuard)
export class ReadInboxController implements BeforeApplicationShutdown {
  private readonly logger = new Logger('LiveInbox');
  /** The live streams open now: what ends each, and when it has ended. A stopping gateway ends them all. */
  private readonly streams = new Map<() => void, Promise<void>>();

  /**
   * Ends every live stream and waits until each has answered its last bytes (a read under way finishes
   * first), so that when the HTTP server closes their connections are idle and closed at once, rather than
   * left open until each client lets go of it. Clients reconnect elsewhere.
   */
  async beforeApplicationShutdown(): Promise<void> {
    for (const end of this.streams.keys()) end();
    await stopping('live inbox streams', () => Promise.all(this.streams.values()));
  }

  constructor(
    private readonly handler: ReadInboxHandler,
    private readonly tokens: GatewayTokens,
  ) {}

  /**
   * `GET /v1/inbox/live?after=<seq>`: the inbox as Server-Sent Events (`text/event-stream`). Every item after
   * the position (or the `Last-Event-ID` an EventSource sends when it reconnects) comes as an `item` event
   * whose id is its position, as it arrives; each is consulted and audited as a page read is. The stream
   * ends with an `end` event when the credential is revoked or expires, or the inbox cannot be read.
   */
  @Get('live')
  @LiveInboxDocs()
  async live(
    @Query() q: { after?: unknown },
    @Req() req: MsxRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const ctx = contextOf(req);
    const node = ctx.node!;
    const query = checkInboxQuery(node, req.headers['x-msx-officer'], q.after, undefined, ctx.officer);
    const after = resumeAfter(req.headers['last-event-id'], query.after);
    if (after === undefined)
      throw new MsxError(
        'GATEWAY.INVALID_QUERY',
        'header last-event-id must be a position (an integer of 0 or more)',
      );
    let closed = false;
    let wake: (() => void) | undefined;
    const close = () => {
      closed = true;
      wake?.();
    };
    let finished!: () => void;
    this.streams.set(close, new Promise<void>((resolve) => (finished = resolve)));
    req.raw.once('close', close);
    reply.raw.once('close', close);
    reply.raw.on('error', close);
    try {
      reply.hijack();
      reply.raw.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'text/event-stream; charset=utf-8',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-correlation-id': ctx.correlationId,
      });
      const ended = await runLiveInbox(after, DEFAULT_INBOX_PAGE, {
        read: (from) =>
          this.handler.read({
            ...query,
            after: from,
            limit: DEFAULT_INBOX_PAGE,
            node,
            correlationId: ctx.correlationId,
          }),
        recheck: async () => {
          // Asked afresh, not what this request found when it came in.
          ctx.holder = undefined;
          const holder = await this.tokens.authenticate(req, NODE_ROLES, nodeRoleRefusal);
          if (holder.node !== node || holder.credentialId !== ctx.credentialId)
            throw new MsxError('GATEWAY.UNAUTHENTICATED', 'the credential changed');
        },
        write: (chunk) => {
          if (!closed) reply.raw.write(chunk);
        },
        sleep: (ms) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, ms);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          }),
        closed: () => closed,
        now: Date.now,
      });
      if (ended && !closed) {
        this.logger.warn(
          `live inbox of ${node} for ${query.officer} ended: ${ended.code} [${ctx.correlationId}]`,
        );
        reply.raw.write(endEvent(ended));
      }
    } finally {
      this.streams.delete(close);
      if (!reply.raw.writableEnded) reply.raw.end();
      finished();
    }
  }

  /**
   * `GET /v1/inbox?after=<seq>&limit=<n>`: an officer reads with their own credential; a node's system
   * credential names the officer reading in the header `x-msx-officer`.
   */
  @Get()
  @InboxPageDocs()
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
