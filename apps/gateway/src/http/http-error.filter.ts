import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ContractViolationError, MsxError, type Violation } from '#contracts';
import { contextOf, type MsxRequest } from './request-context.js';
import { RejectionAuditor } from './rejection-auditor.js';

/** The body of every error response. */
export interface ErrorBody {
  statusCode: number;
  /** Stable code, for example `CONTRACT.INVALID`. */
  code: string;
  message: string;
  /** For contract violations: each broken field and rule. */
  violations?: Violation[];
  correlationId: string;
}

/** Seconds a client should wait before retrying a refused submission. */
export const RETRY_AFTER_S = 5;

const STATUS_BY_CODE: Record<string, number> = {
  'CONTRACT.INVALID': 400,
  'GATEWAY.INVALID_JSON': 400,
  'GATEWAY.UNAUTHENTICATED': 401,
  'GATEWAY.SENDER_MISMATCH': 403,
  'GATEWAY.FORBIDDEN': 403,
  'GATEWAY.INVALID_QUERY': 400,
  'AUDIT.QUERY_INVALID': 400,
  'AUDIT.JUSTIFICATION_REQUIRED': 400,
  'GATEWAY.NOT_FOUND': 404,
  'GATEWAY.BODY_TOO_LARGE': 413,
  'GATEWAY.UNSUPPORTED_MEDIA_TYPE': 415,
};

/** Codes for errors raised by the HTTP framework itself (body parsing, routing). */
function frameworkCode(status: number, err: { code?: string; message?: string }): string {
  if (status === 413) return 'GATEWAY.BODY_TOO_LARGE';
  if (status === 415) return 'GATEWAY.UNSUPPORTED_MEDIA_TYPE';
  if (status === 404) return 'GATEWAY.NOT_FOUND';
  if (
    status === 400 &&
    (err instanceof SyntaxError || /JSON/i.test(`${err.code ?? ''} ${err.message ?? ''}`))
  ) {
    return 'GATEWAY.INVALID_JSON';
  }
  return status < 500 ? 'GATEWAY.BAD_REQUEST' : 'INTERNAL.UNEXPECTED';
}

/**
 * Maps MSX's error codes to HTTP at the edge, audits every refusal, and never reveals internals: a 500
 * says only that something failed, under the correlation id that finds it in the logs.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  constructor(private readonly auditor: RejectionAuditor) {}

  async catch(err: unknown, host: ArgumentsHost): Promise<void> {
    const req = host.switchToHttp().getRequest<MsxRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const ctx = contextOf(req);
    let body: ErrorBody;
    if (err instanceof MsxError) {
      const status = err.retryable ? 503 : (STATUS_BY_CODE[err.code] ?? 400);
      body = { statusCode: status, code: err.code, message: err.message, correlationId: ctx.correlationId };
      if (err instanceof ContractViolationError) body.violations = err.violations;
    } else {
      const fw = err as { statusCode?: number; code?: string; message?: string };
      const status = err instanceof HttpException ? err.getStatus() : (fw.statusCode ?? 500);
      const code = frameworkCode(status, fw);
      const message =
        status < 500 ? (fw.message ?? code) : 'internal error; quote the correlation id when reporting it';
      body = { statusCode: status, code, message, correlationId: ctx.correlationId };
    }
    if (body.statusCode >= 500 && body.statusCode !== 503) {
      this.logger.error(
        `${req.method} ${req.url} failed [${ctx.correlationId}]: ${(err as Error).stack ?? String(err)}`,
      );
    }
    if (body.statusCode < 500 && body.statusCode !== 404) {
      const author = (req.body as { author?: unknown } | undefined)?.author;
      await this.auditor.record({
        node: ctx.node,
        author: ctx.auditor ?? (typeof author === 'string' && author.length <= 64 ? author : undefined),
        code: body.code,
        status: body.statusCode,
        correlationId: ctx.correlationId,
        body: req.rawBody,
        violations: body.violations,
        detail: { method: req.method, path: req.routeOptions?.url ?? req.url.split('?')[0] },
      });
    }
    void reply.header('x-correlation-id', ctx.correlationId);
    if (body.statusCode === 401) void reply.header('www-authenticate', 'Bearer realm="msx"');
    if (body.statusCode === 503) void reply.header('retry-after', String(RETRY_AFTER_S));
    await reply.status(body.statusCode).send(body);
  }
}
