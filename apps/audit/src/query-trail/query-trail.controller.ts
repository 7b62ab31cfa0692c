import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuditQueries, type AuditRecord, type Page } from '#audit-store';
import { Subjects } from '#messaging';
import { answerRpc } from '#runtime';

/** NATS request/reply adapter: the trail of one message across every party (for the gateway's auditors). */
@Controller()
export class QueryTrailController {
  constructor(private readonly queries: AuditQueries) {}

  @MessagePattern<string>(Subjects.auditQuery.trail)
  trail(@Payload() query: unknown): Promise<Page<AuditRecord>> {
    return answerRpc('trail query', () => this.queries.trail(query));
  }
}
