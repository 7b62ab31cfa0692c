import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuditQueries, type AuditRecord, type Page } from '#audit-store';
import { Subjects } from '#messaging';
import { answerRpc } from '#runtime';

/** NATS request/reply adapter: one officer's activity, in time order. */
@Controller()
export class QueryOfficerActivityController {
  constructor(private readonly queries: AuditQueries) {}

  @MessagePattern<string>(Subjects.auditQuery.officerActivity)
  officerActivity(@Payload() query: unknown): Promise<Page<AuditRecord>> {
    return answerRpc('officer activity query', () => this.queries.officerActivity(query));
  }
}
