import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditOperation, newAuditEvent, sha256Hex, uuidv7, type Violation } from '#contracts';
import { publishAuditEvent, type Bus } from '#messaging';
import { BUS } from '#runtime';

/** The node id under which the gateway publishes audit events. */
export const GATEWAY_NODE = 'msx-gateway';

export interface Rejection {
  /** The authenticated node, if the request got that far. */
  node?: string;
  /** The officer named in the body, if any. */
  author?: string;
  code: string;
  status: number;
  correlationId: string;
  body?: Buffer;
  violations?: Violation[];
  detail?: Record<string, unknown>;
}

/**
 * Records every request the gateway refuses. Only field paths and rule names are kept, never the values
 * submitted, so the trail does not become a copy of rejected intelligence.
 */
@Injectable()
export class RejectionAuditor {
  private readonly logger = new Logger('Rejections');

  constructor(@Inject(BUS) private readonly bus: Bus) {}

  async record(r: Rejection): Promise<void> {
    const event = newAuditEvent({
      eventId: uuidv7(),
      operation: AuditOperation.REJECTED,
      actorNode: r.node ?? GATEWAY_NODE,
      actorPerson: r.author ?? '',
      counterpartNode: GATEWAY_NODE,
      messageSha256: r.body ? sha256Hex(r.body) : '',
      rule: r.code,
      correlationId: r.correlationId,
      detailJson: JSON.stringify({
        status: r.status,
        ...(r.violations ? { violations: r.violations.map((v) => ({ field: v.field, rule: v.rule })) } : {}),
        ...r.detail,
      }),
    });
    try {
      await publishAuditEvent(this.bus.js, GATEWAY_NODE, event);
    } catch (err) {
      this.logger.error(
        `could not audit rejection ${r.code} [${r.correlationId}]: ${(err as Error).message}`,
      );
    }
  }
}
