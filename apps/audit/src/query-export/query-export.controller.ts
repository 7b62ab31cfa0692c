import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { ExportPage } from '#contracts';
import { Subjects } from '#messaging';
import { answerRpc } from '#runtime';
import { ExportPages } from './export-pages.js';

/** NATS request/reply adapter: one page of the rows recorded in a period, as export text (for the gateway's auditors). */
@Controller()
export class QueryExportController {
  constructor(private readonly pages: ExportPages) {}

  @MessagePattern<string>(Subjects.auditQuery.export)
  export(@Payload() query: unknown): Promise<ExportPage> {
    return answerRpc('export query', () => this.pages.page(query));
  }
}
