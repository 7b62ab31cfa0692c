import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AuditOperation,
  isOfficerId,
  newAuditEvent,
  safeViolations,
  sha256Hex,
  uuidv7,
  type AuditEvent,
  type Violation,
  GATEWAY_NODE,
} from '#contracts';
import { publishAuditEvent, type Bus } from '#messaging';
import { BUS } from '#runtime';
import { GATEWAY_FIELDS } from '../auth/officer-binding.js';

/** Most violations one rejection records; the rest are only counted. */
export const MAX_AUDITED_VIOLATIONS = 32;

/** What a rejection records besides its code: fixed vocabulary and vouched-for ids only, no caller text. */
export interface RejectionDetail {
  /** The HTTP method. */
  method: string;
  /** The route's pattern (`/v1/messages`), or `(unrouted)`; never the path as sent. */
  path: string;
  /** For a refused officer: the id named, only when it has the ASCII form of an officer id. */
  claimedOfficer?: string;
}

export interface Rejection {
  /** The authenticated node, if the request got that far. */
  node?: string;
  /** The person acting, if vouched for: the auditor of the token, or an officer of the token's node. */
  author?: string;
  code: string;
  status: number;
  correlationId: string;
  /** The exact bytes received: only their hash is recorded. */
  body?: Buffer;
  violations?: Violation[];
  detail?: RejectionDetail;
}

/**
 * The audit event of a refused request. The trail is append-only, so nothing a caller wrote may reach it:
 * of the body only its hash, of violations only known field paths and catalogue rule names (bounded in
 * length and number), never values, keys the contract does not define, or messages.
 */
export function rejectionEvent(r: Rejection): AuditEvent {
  const violations = r.violations
    ? safeViolations(r.violations, { extraFields: GATEWAY_FIELDS }).map((v) => ({
        field: v.field,
        rule: v.rule,
      }))
    : undefined;
  return newAuditEvent({
    eventId: uuidv7(),
    operation: AuditOperation.REJECTED,
    actorNode: r.node ?? GATEWAY_NODE,
    actorPerson: r.author !== undefined && isOfficerId(r.author) ? r.author : '',
    counterpartNode: GATEWAY_NODE,
    messageSha256: r.body ? sha256Hex(r.body) : '',
    rule: r.code,
    correlationId: r.correlationId,
    detailJson: JSON.stringify({
      status: r.status,
      ...(violations
        ? {
            violations: violations.slice(0, MAX_AUDITED_VIOLATIONS),
            ...(violations.length > MAX_AUDITED_VIOLATIONS
              ? { violationsOmitted: violations.length - MAX_AUDITED_VIOLATIONS }
              : {}),
          }
        : {}),
      ...r.detail,
    }),
  });
}

/** Records every request the gateway refuses (see rejectionEvent for what is kept). */
@Injectable()
export class RejectionAuditor {
  private readonly logger = new Logger('Rejections');

  constructor(@Inject(BUS) private readonly bus: Bus) {}

  async record(r: Rejection): Promise<void> {
    try {
      await publishAuditEvent(this.bus.js, GATEWAY_NODE, rejectionEvent(r));
    } catch (err) {
      this.logger.error(
        `could not audit rejection ${r.code} [${r.correlationId}]: ${(err as Error).message}`,
      );
    }
  }
}
