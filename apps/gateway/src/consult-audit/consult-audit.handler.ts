import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AuditOperation,
  hasNoControlCharacters,
  MsxError,
  newAuditEvent,
  uuidv7,
  GATEWAY_NODE,
} from '#contracts';
import { publishAuditEvent, type Bus } from '#messaging';
import { BUS } from '#runtime';
import { AuditQueryClient } from './audit-query.client.js';

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
    await publishAuditEvent(
      this.bus.js,
      GATEWAY_NODE,
      newAuditEvent({
        eventId: uuidv7(),
        operation: AuditOperation.CONSULTED,
        actorNode: GATEWAY_NODE,
        actorPerson: auditor,
        messageId: c.messageId ?? '',
        justification,
        rule: 'AUDIT.CONSULTED',
        correlationId,
        detailJson: JSON.stringify({ query: c.kind, ...c.query, returned: page.items.length }),
      }),
    );
    this.logger.log(`${auditor} consulted ${c.kind} (${page.items.length} item(s)) [${correlationId}]`);
    return page;
  }
}
