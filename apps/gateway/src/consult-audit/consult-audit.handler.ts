import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  hasNoControlCharacters,
  MsxError,
  GATEWAY_NODE,
  type ChainStatus,
  type ExportFormat,
  type ExportPage,
} from '#contracts';
import { publishAuditEvent, Subjects, type Bus } from '#messaging';
import { BUS } from '#runtime';
import { AuditQueryClient } from './audit-query.client.js';
import { consultationEvent } from '../http/consultation-event.js';

/** Longest justification an auditor may give, in characters. */
export const MAX_JUSTIFICATION_LENGTH = 500;

/** Which query an auditor runs, and its parameters (ids and times only, never contents). */
export interface Consultation {
  /** `trail`, `flows` or `officer-activity`. */
  kind: string;
  subject: string;
  query: Record<string, unknown>;
  /** The message the query is about, for trail queries: the consultation then shows in that trail too. */
  messageId?: string;
}

/** The content type of each export format. */
export const EXPORT_CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  jsonl: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};

/** An export under way: the period as understood, its rows, and its text, of which the first page is read. */
export interface AuditExport {
  since: string;
  until: string;
  format: ExportFormat;
  /** Rows the export holds (and the consultation recorded). */
  total: number;
  /** The text, page by page; each page after the first is asked for as the one before has been taken. */
  text: AsyncGenerator<string>;
}

/**
 * Checks an auditor's justification.
 * @throws MsxError `AUDIT.JUSTIFICATION_REQUIRED`
 */
export function checkJustification(raw: unknown): string {
  const value = typeof raw === 'string' ? raw.trim() : '';
  if (value === '' || [...value].length > MAX_JUSTIFICATION_LENGTH || !hasNoControlCharacters(value)) {
    throw new MsxError(
      'AUDIT.JUSTIFICATION_REQUIRED',
      `send the reason for this consultation in the x-msx-justification header (1 to ${MAX_JUSTIFICATION_LENGTH} characters, one line)`,
    );
  }
  return value;
}

/**
 * An auditor consults the audit trail: the query runs at the audit service, then the consultation itself is
 * recorded (`consulted`, with the auditor and the justification) before anything is returned. If it cannot
 * be recorded, nothing is returned.
 */
@Injectable()
export class ConsultAuditHandler {
  private readonly logger = new Logger('ConsultAudit');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    private readonly client: AuditQueryClient,
  ) {}

  async consult<T extends { items: unknown[] }>(
    c: Consultation,
    auditor: string,
    justification: string,
    correlationId: string,
  ): Promise<T> {
    const page = await this.client.request<T>(c.subject, c.query);
    await this.record(auditor, justification, correlationId, c.messageId ?? '', {
      query: c.kind,
      ...c.query,
      returned: page.items.length,
    });
    this.logger.log(`${auditor} consulted ${c.kind} (${page.items.length} item(s)) [${correlationId}]`);
    return page;
  }

  /** The chain's verification status, recorded as consulted with what it said. */
  async chain(auditor: string, justification: string, correlationId: string): Promise<ChainStatus> {
    const status = await this.client.request<ChainStatus>(Subjects.auditQuery.chain, {});
    await this.record(auditor, justification, correlationId, '', {
      query: 'chain',
      status: status.status,
      verifiedThrough: status.verifiedThrough?.seq ?? null,
      firstBreak: status.firstBreak?.seq ?? null,
    });
    this.logger.log(`${auditor} consulted the chain's status (${status.status}) [${correlationId}]`);
    return status;
  }

  /**
   * The rows recorded in a period as export text. The first page is asked for at once (a bad query or a
   * period holding too many rows is refused before anything is sent), and the consultation recorded with
   * the period and the export's row count; the other pages are asked for as the text is taken.
   */
  async export(
    query: { since: unknown; until: unknown; format: unknown },
    auditor: string,
    justification: string,
    correlationId: string,
  ): Promise<AuditExport> {
    const first = await this.client.request<ExportPage>(Subjects.auditQuery.export, query);
    const { since, until, format, total } = first;
    await this.record(auditor, justification, correlationId, '', {
      query: 'export',
      since,
      until,
      format,
      rows: total,
    });
    this.logger.log(`${auditor} exports ${total} row(s) recorded ${since} … ${until} [${correlationId}]`);
    return { since, until, format, total, text: this.pages(first) };
  }

  /** The text of an export, from its first page on. */
  private async *pages(first: ExportPage): AsyncGenerator<string> {
    const { since, until, format } = first;
    for (let page = first; ;) {
      if (page.text !== '') yield page.text;
      if (page.nextCursor === null) return;
      page = await this.client.request<ExportPage>(Subjects.auditQuery.export, {
        since,
        until,
        format,
        cursor: page.nextCursor,
      });
    }
  }

  /** Records a consultation (`consulted`, with the auditor and the justification) in the audit trail. */
  private async record(
    auditor: string,
    justification: string,
    correlationId: string,
    messageId: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await publishAuditEvent(
      this.bus.js,
      GATEWAY_NODE,
      consultationEvent({
        actorNode: GATEWAY_NODE,
        actorPerson: auditor,
        messageId,
        justification,
        rule: 'AUDIT.CONSULTED',
        correlationId,
        detail,
      }),
    );
  }
}
