import { Readable } from 'node:stream';
import { Controller, Get, Param, Query, Req, Res, StreamableFile, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuditRecord, ChainStatus, FlowsPage, Page } from '#contracts';
import { Subjects } from '#messaging';
import { AuditorTokenGuard } from '../auth/auditor-token.guard.js';
import { contextOf, type MsxRequest } from '../http/request-context.js';
import {
  AuditChainDocs,
  AuditExportDocs,
  AuditFlowsDocs,
  AuditTrailDocs,
  OfficerActivityDocs,
} from '../openapi/route-docs.js';
import {
  checkJustification,
  ConsultAuditHandler,
  EXPORT_CONTENT_TYPES,
  type Consultation,
} from './consult-audit.handler.js';

/** Query parameters every paged audit query takes. */
interface PageParams {
  cursor?: unknown;
  limit?: unknown;
}

/**
 * HTTP adapter for auditors: the trail of one message, flows between two parties, one officer's activity, the
 * chain's verification status, an export of a period.
 * Each request needs an auditor token and the header `x-msx-justification`; each read is itself audited.
 */
@Controller('v1/audit')
@UseGuards(AuditorTokenGuard)
export class ConsultAuditController {
  constructor(private readonly handler: ConsultAuditHandler) {}

  /** `GET /v1/audit/messages/:id/trail?cursor=&limit=` */
  @Get('messages/:id/trail')
  @AuditTrailDocs()
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
  @AuditFlowsDocs()
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
  @OfficerActivityDocs()
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

  /** `GET /v1/audit/chain`: the chain's verification status, after a check that started on request. */
  @Get('chain')
  @AuditChainDocs()
  chain(@Req() req: MsxRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ChainStatus> {
    const { auditor, justification, correlationId } = this.prepare(req, reply);
    return this.handler.chain(auditor, justification, correlationId);
  }

  /**
   * `GET /v1/audit/export?since=&until=&format=jsonl|csv`: the rows recorded in `[since, until)` with their
   * chain columns, as a download streamed page by page from the audit service.
   */
  @Get('export')
  @AuditExportDocs()
  async export(
    @Query() q: { since?: unknown; until?: unknown; format?: unknown },
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const { auditor, justification, correlationId } = this.prepare(req, reply);
    const exp = await this.handler.export(
      { since: q.since, until: q.until, format: q.format },
      auditor,
      justification,
      correlationId,
    );
    const file = `msx-audit-${exp.since}-${exp.until}.${exp.format}`.replace(/:/g, '');
    // A page that cannot be read after the first ends the connection: the download is incomplete, never
    // complete-looking.
    return new StreamableFile(Readable.from(exp.text, { objectMode: false }), {
      type: EXPORT_CONTENT_TYPES[exp.format],
      disposition: `attachment; filename="${file}"`,
    });
  }

  private consult<T extends { items: unknown[] }>(
    req: MsxRequest,
    reply: FastifyReply,
    c: Consultation,
  ): Promise<T> {
    const { auditor, justification, correlationId } = this.prepare(req, reply);
    return this.handler.consult<T>(c, auditor, justification, correlationId);
  }

  /** Headers every audit answer carries, and the justification every audit request needs. */
  private prepare(req: MsxRequest, reply: FastifyReply) {
    const ctx = contextOf(req);
    void reply.header('x-correlation-id', ctx.correlationId);
    // Audit records are not to be kept by browsers or proxies.
    void reply.header('cache-control', 'no-store');
    const justification = checkJustification(req.headers['x-msx-justification']);
    return { auditor: ctx.auditor!, justification, correlationId: ctx.correlationId };
  }
}
