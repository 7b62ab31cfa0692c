import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import {
  ContractViolationError,
  ERROR_CODES,
  isOfficerOfNode,
  type ErrorCode,
  MsxError,
  safeViolations,
  type Violation,
} from '#contracts';
import { RateLimitedError } from '../auth/gateway-tokens.js';
import { GATEWAY_FIELDS, OfficerNotOfNodeError } from '../auth/officer-binding.js';
import { ACCEPTED_MEDIA_TYPE } from './json-only.js';
import { contextOf, type MsxRequest } from './request-context.js';
import { RejectionAuditor, SUMMARISED_CODES } from './rejection-auditor.js';
import { SECURITY_HEADERS } from './security-headers.js';

/**
 * The body of every error response: an RFC 9457 problem (`application/problem+json`), whose `type` names
 * MSX's stable code, with the code, the correlation id and any violations as extension members.
 */
export interface ErrorBody {
  /** `urn:msx:problem:<code>`: one type per code, so a client may branch on either. */
  type: string;
  /** The HTTP status's own phrase. */
  title: string;
  status: number;
  /** What went wrong and what to do, in the gateway's words. */
  detail: string;
  /** Stable code, for example `CONTRACT.INVALID`. */
  code: ErrorCode;
  /** For contract violations and refused officers: each broken field and rule (known field paths only). */
  violations?: Violation[];
  correlationId: string;
}

/** The media type of every error response. */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** The problem of a status, code and detail. */
export function problem(status: number, code: ErrorCode, detail: string, correlationId: string): ErrorBody {
  return {
    type: `urn:msx:problem:${code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    correlationId,
  };
}

/** Seconds a client should wait before retrying a refused submission. */
export const RETRY_AFTER_S = 5;

/**
 * The status of each code the gateway answers with. A code not listed (an internal failure, or a refusal
 * meant for another edge) is answered as the gateway's own failure, 500, never as the caller's.
 */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  'CONTRACT.INVALID': 400,
  'GATEWAY.INVALID_JSON': 400,
  'GATEWAY.UNAUTHENTICATED': 401,
  'GATEWAY.SENDER_MISMATCH': 403,
  'GATEWAY.OFFICER_NOT_OF_NODE': 403,
  'GATEWAY.FORBIDDEN': 403,
  'GATEWAY.RATE_LIMITED': 429,
  'GATEWAY.INVALID_QUERY': 400,
  'AUDIT.QUERY_INVALID': 400,
  'AUDIT.JUSTIFICATION_REQUIRED': 400,
  'GATEWAY.NOT_FOUND': 404,
  'GATEWAY.BODY_TOO_LARGE': 413,
  'GATEWAY.UNSUPPORTED_MEDIA_TYPE': 415,
};

/**
 * What the gateway says for the framework's own refusals: fixed text, because the framework's messages
 * quote what the caller sent (the content type, the start of a body that is not JSON).
 */
const FRAMEWORK_MESSAGES: Record<string, string> = {
  'GATEWAY.BODY_TOO_LARGE': 'the body is larger than the gateway accepts',
  'GATEWAY.UNSUPPORTED_MEDIA_TYPE': `send the body as ${ACCEPTED_MEDIA_TYPE} (charset utf-8, if one is named)`,
  'GATEWAY.INVALID_JSON': 'the body is not valid JSON',
};

/** Fastify's codes for a JSON body it could not parse. */
const JSON_BODY_ERRORS: ReadonlySet<unknown> = new Set([
  'FST_ERR_CTP_INVALID_JSON_BODY',
  'FST_ERR_CTP_EMPTY_JSON_BODY',
]);

/** Codes for errors raised by the HTTP framework itself (body parsing, routing), by status and code. */
function frameworkCode(status: number, err: { code?: string; cause?: unknown }): ErrorCode {
  if (status === 413) return 'GATEWAY.BODY_TOO_LARGE';
  if (status === 415) return 'GATEWAY.UNSUPPORTED_MEDIA_TYPE';
  if (status === 404) return 'GATEWAY.NOT_FOUND';
  // NestJS hands Fastify's own 4xx errors on wrapped in an HttpException, the original as its cause.
  const code = err.code ?? (err.cause as { code?: unknown } | undefined)?.code;
  if (status === 400 && (err instanceof SyntaxError || JSON_BODY_ERRORS.has(code)))
    return 'GATEWAY.INVALID_JSON';
  return status < 500 ? 'GATEWAY.BAD_REQUEST' : 'INTERNAL.UNEXPECTED';
}

const INTERNAL_MESSAGE = 'internal error; quote the correlation id when reporting it';

/**
 * What the gateway says when it cannot serve now: its own words, since a dependency's error names hosts,
 * drivers and subjects. The audit gate's refusal keeps its text, which says why submissions are held back.
 */
function unavailableMessage(err: MsxError): string {
  return err.code === 'AUDIT.UNAVAILABLE'
    ? err.message
    : `the exchange cannot serve this now (${err.code}); retry after ${RETRY_AFTER_S} s`;
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
      // Only what the catalogue calls unavailable is answered as "try again": never an internal failure.
      const status = ERROR_CODES[err.code] === 'unavailable' ? 503 : (STATUS_BY_CODE[err.code] ?? 500);
      const message = status === 503 ? unavailableMessage(err) : err.message;
      body =
        status === 500
          ? problem(500, 'INTERNAL.UNEXPECTED', INTERNAL_MESSAGE, ctx.correlationId)
          : problem(status, err.code, message, ctx.correlationId);
      if (status === 503 && message !== err.message)
        this.logger.warn(`${req.method} ${req.url} unavailable [${ctx.correlationId}]: ${err.message}`);
      if (status < 500 && (err instanceof ContractViolationError || err instanceof OfficerNotOfNodeError))
        body.violations = safeViolations(err.violations, { extraFields: GATEWAY_FIELDS });
    } else {
      const fw = err as { statusCode?: number; code?: string; message?: string };
      const status = err instanceof HttpException ? err.getStatus() : (fw.statusCode ?? 500);
      const code = frameworkCode(status, fw);
      const message = status < 500 ? (FRAMEWORK_MESSAGES[code] ?? fw.message ?? code) : INTERNAL_MESSAGE;
      body = problem(status, code, message, ctx.correlationId);
    }
    if (body.status >= 500 && body.status !== 503) {
      this.logger.error(
        `${req.method} ${req.url} failed [${ctx.correlationId}]: ${(err as Error).stack ?? String(err)}`,
      );
    }
    if (body.status < 500 && body.status !== 404) {
      // Only an author who is an officer of the token's node is named as the person acting.
      const author = (req.body as { author?: unknown } | undefined)?.author;
      await this.auditor.record({
        node: ctx.node,
        author:
          ctx.officer ??
          ctx.auditor ??
          (ctx.node !== undefined && isOfficerOfNode(author, ctx.node) ? author : undefined),
        code: body.code,
        status: body.status,
        correlationId: ctx.correlationId,
        body: req.rawBody,
        violations: body.violations,
        detail: {
          method: req.method,
          // The route's pattern, never the path as sent (an unrouted path is caller text).
          path: req.routeOptions?.url ?? '(unrouted)',
          ...(err instanceof OfficerNotOfNodeError && err.claimedOfficer !== undefined
            ? { claimedOfficer: err.claimedOfficer }
            : {}),
          ...(SUMMARISED_CODES.has(body.code) || body.status === 403 ? { address: req.ip } : {}),
          ...(ctx.credentialId !== undefined ? { credential: ctx.credentialId } : {}),
        },
      });
    }
    // Again here, for an error raised before the hooks run (Fastify refusing a request it cannot route or read).
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
    void reply.header('x-correlation-id', ctx.correlationId);
    if (body.status === 401) void reply.header('www-authenticate', 'Bearer realm="msx"');
    if (body.status === 415) void reply.header('accept-post', ACCEPTED_MEDIA_TYPE);
    if (body.status === 503) void reply.header('retry-after', String(RETRY_AFTER_S));
    if (err instanceof RateLimitedError) void reply.header('retry-after', String(err.retryAfterS));
    await reply.status(body.status).type(`${PROBLEM_MEDIA_TYPE}; charset=utf-8`).send(JSON.stringify(body));
  }
}
