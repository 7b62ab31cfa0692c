import { Body, Controller, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  ContractViolationError,
  INTEL_TYPES,
  RULE,
  type PayloadType,
  type PreviewAnswer,
  type Violation,
} from '#contracts';
import { NodeTokenGuard } from '../auth/node-token.guard.js';
import type { MsxRequest } from '../http/request-context.js';
import { PreviewReportDocs, SubmitReportDocs } from '../openapi/route-docs.js';
import { SubmitMessageHandler, type SubmitResult } from '../submit-message/submit-message.handler.js';
import { actorOf } from './messages.controller.js';
import { MessagesHandler, notFound } from './messages.handler.js';

/** `route-report` for `routeReport`: the path segment of each intelligence type. */
export const REPORT_PATHS: ReadonlyMap<string, PayloadType> = new Map(
  INTEL_TYPES.map((t) => [t.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), t]),
);

/**
 * The envelope of a submission to one type's endpoint: it carries that type's payload and no other.
 * @throws MsxError `GATEWAY.NOT_FOUND` for a path that names no intelligence type
 * @throws ContractViolationError naming the payload field that is missing or of another type
 */
export function reportOf(path: string, body: unknown): unknown {
  const type = REPORT_PATHS.get(path);
  if (!type) throw notFound();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body; // the contract says why
  const others = INTEL_TYPES.filter((t) => t !== type && t in body);
  const violations: Violation[] = others.map((t) => ({
    field: t,
    rule: RULE.unknownProperty,
    message: `this endpoint takes a ${type} only; submit a ${t} to its own endpoint`,
  }));
  if (!(type in body))
    violations.push({ field: type, rule: RULE.required, message: `a ${type} is required` });
  if (violations.length > 0) throw new ContractViolationError(violations);
  return body;
}

/**
 * HTTP adapter: one endpoint per intelligence type (`POST /v1/reports/route-report`, …), each taking the
 * envelope with that type's payload, and its preview. The same as `POST /v1/messages` otherwise.
 */
@Controller('v1/reports')
@UseGuards(NodeTokenGuard)
export class ReportsController {
  constructor(
    private readonly submitter: SubmitMessageHandler,
    private readonly messages: MessagesHandler,
  ) {}

  @Post(':type')
  @HttpCode(202)
  @SubmitReportDocs(REPORT_PATHS)
  submit(
    @Param('type') type: string,
    @Body() body: unknown,
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmitResult> {
    const a = actorOf(req, reply, false);
    return this.submitter.submit(reportOf(type, body), a.node, a.correlationId, a.holder);
  }

  @Post(':type/preview')
  @HttpCode(200)
  @PreviewReportDocs(REPORT_PATHS)
  preview(
    @Param('type') type: string,
    @Body() body: unknown,
    @Req() req: MsxRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PreviewAnswer> {
    return this.messages.preview(actorOf(req, reply, false), reportOf(type, body));
  }
}
