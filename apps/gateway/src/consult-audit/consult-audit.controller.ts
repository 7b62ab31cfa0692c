import { Controller, Get, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuditRecord, FlowsPage, Page } from '#contracts';
import { Subjects } from '#messaging';
import { AuditorTokenGuard } from '../auth/auditor-token.guard.js';
import { contextOf, type MsxRequest } from '../http/request-context.js';
import { checkJustification, ConsultAuditHandler, type Consultation } from './consult-audit.handler.js';

/** Query parameters every paged audit query takes. */
interface PageParams {
  cursor?: unknown;
  limit?: unknown;
}

/**
 * HTTP adapter for auditors: the trail of one message, flows between two parties, one officer's activity.
 * Each request needs an auditor token and the header `x-msx-justification`; each read is itself audited.
 */
@Controller('v1/audit')
@UseGuards(AuditorTokenGuard)
export class ConsultAuditController {
  constructor(private readonly handler: ConsultAuditHandler) {}

  /** `GET /v1/audit/messages/:id/trail?cursor=&limit=` */
  @Get('messages/:id/trail')
  trail(
    @Param('id') id: string,
    @Query() q: PageParams,
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Page<AuditRecord>> {
    return this.consult(req, reply, {
      kind: 'trail',
      subject: Subjects.auditQuery.trail,
      query: { messageId: id, cursor: q.cursor, limit: q.limit },
      messageId: id.toLowerCase(),
    });
  }

  /** `GET /v1/audit/flows?from=&to=&since=&until=&cursor=&limit=` */
  @Get('flows')
  flows(
    @Query() q: PageParams & { from?: unknown; to?: unknown; since?: unknown; until?: unknown },
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FlowsPage> {
    return this.consult(req, reply, {
      kind: 'flows',
      subject: Subjects.auditQuery.flows,
      query: { from: q.from, to: q.to, since: q.since, until: q.until, cursor: q.cursor, limit: q.limit },
    });
  }

  /** `GET /v1/audit/officers/:officer/activity?since=&until=&cursor=&limit=` */
  @Get('officers/:officer/activity')
  officerActivity(
    @Param('officer') officer: string,
    @Query() q: PageParams & { since?: unknown; until?: unknown },
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Page<AuditRecord>> {
    return this.consult(req, reply, {
      kind: 'officer-activity',
      subject: Subjects.auditQuery.officerActivity,
      query: { officer, since: q.since, until: q.until, cursor: q.cursor, limit: q.limit },
    });
  }

  private consult<T extends { items: unknown[] }>(
    req: MsxRequest,
    reply: FastifyReply,
    c: Consultation,
  ): Promise<T> {
    const ctx = contextOf(req);
    void reply.header('x-correlation-id', ctx.correlationId);
    // Audit records are not to be kept by browsers or proxies.
    void reply.header('cache-control', 'no-store');
    const justification = checkJustification(req.headers['x-msx-justification']);
    return this.handler.consult<T>(c, ctx.auditor!, justification, ctx.correlationId);
  }
}
