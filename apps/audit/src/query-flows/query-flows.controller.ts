import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuditQueries, type FlowsPage } from '#audit-store';
import { Subjects } from '#messaging';
import { answerRpc } from '#runtime';

/** NATS request/reply adapter: flows from one party to another over a period, counted. */
@Controller()
export class QueryFlowsController {
  constructor(private readonly queries: AuditQueries) {}

  @MessagePattern<string>(Subjects.auditQuery.flows)
  flows(@Payload() query: unknown): Promise<FlowsPage> {
    return answerRpc('flows query', () => this.queries.flows(query));
  }
}
