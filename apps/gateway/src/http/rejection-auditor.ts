import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
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
import { BUS, stopping } from '#runtime';
import { GATEWAY_FIELDS } from '../auth/officer-binding.js';
import type { GatewayConfig } from '../gateway.config.js';
import { GATEWAY_CONFIG } from '../gateway.tokens.js';

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
  /** The address the request came from, on refusals of credentials (they are summarised per address). */
  address?: string;
  /** The credential presented, when an administrator issued it. */
  credential?: string;
  /** On a summary: how many more of the same refusal came within the window, and when. */
  repeated?: number;
  firstRepeatAt?: string;
  lastRepeatAt?: string;
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

/**
 * Refusals of credentials, and bodies that never arrived whole (408), which a caller can repeat at will: recorded once per window and source, with a
 * summary of the repeats, so that a flood of bad requests cannot become a flood of audit rows that fills
 * the audit backlog and closes the exchange for everyone. A caller without a valid credential gets no
 * other refusal: the gateway authenticates before it reads a body (AuthenticateFirst).
 */
export const SUMMARISED_CODES: ReadonlySet<string> = new Set([
  'GATEWAY.UNAUTHENTICATED',
  'GATEWAY.RATE_LIMITED',
  'GATEWAY.REQUEST_TIMEOUT',
]);

/** Most sources without a credential summarised at once per window; the rest share one summary per code. */
export const MAX_SUMMARISED_SOURCES = 1_000;

interface Summary {
  first: Rejection;
  /** Whether repeats came on other routes or from other addresses than the first (then the summary names none). */
  mixedPath: boolean;
  mixedAddress: boolean;
  repeated: number;
  firstRepeatMs: number;
  lastRepeatMs: number;
}

/** Whether a refusal is summarised: of credentials (401), or of a caller held off (429). */
const summarised = (r: Rejection) => SUMMARISED_CODES.has(r.code);

/**
 * Decides which refusals are recorded as they come and which are counted into a summary: the first of
 * each (code, route, address, credential) in a window is recorded at once; the repeats are recorded as one
 * summary row when the window ends. Refusals naming a credential (revoked, expired, held off) are keyed by
 * the credential alone and never share a summary with others: they are bounded by the credentials issued,
 * not by what a caller can vary, and an auditor looking for a stolen credential finds its row. The rest
 * share one summary per code beyond MAX_SUMMARISED_SOURCES sources, with no route, address or credential.
 */
export class RefusalSummaries {
  private summaries = new Map<string, Summary>();
  private anonymous = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The rejection to record now, or undefined when it is only counted. */
  admit(r: Rejection): Rejection | undefined {
    if (!summarised(r)) return r;
    const credential = r.detail?.credential;
    let key =
      credential !== undefined
        ? `${r.code}|c:${credential}`
        : `${r.code}|${r.detail?.path}|${r.detail?.address}`;
    let first = r;
    if (credential === undefined && !this.summaries.has(key)) {
      if (this.anonymous >= MAX_SUMMARISED_SOURCES) {
        key = `${r.code}|*`;
        first = {
          code: r.code,
          status: r.status,
          correlationId: r.correlationId,
          detail: { method: '*', path: '*', address: '*' },
        };
      } else this.anonymous++;
    }
    const s = this.summaries.get(key);
    if (!s) {
      this.summaries.set(key, {
        first,
        mixedPath: false,
        mixedAddress: false,
        repeated: 0,
        firstRepeatMs: 0,
        lastRepeatMs: 0,
      });
      return first;
    }
    const nowMs = this.now();
    if (r.detail?.path !== s.first.detail?.path) s.mixedPath = true;
    if (r.detail?.address !== s.first.detail?.address) s.mixedAddress = true;
    if (s.repeated === 0) s.firstRepeatMs = nowMs;
    s.repeated++;
    s.lastRepeatMs = nowMs;
    return undefined;
  }

  /** Ends the window: one summary per source that repeated, and a fresh window for all. */
  endWindow(): Rejection[] {
    const out: Rejection[] = [];
    for (const s of this.summaries.values()) {
      if (s.repeated === 0) continue;
      out.push({
        ...s.first,
        correlationId: uuidv7(),
        body: undefined,
        violations: undefined,
        detail: {
          ...s.first.detail!,
          ...(s.mixedPath ? { method: '*', path: '*' } : {}),
          ...(s.mixedAddress ? { address: '*' } : {}),
          repeated: s.repeated,
          firstRepeatAt: new Date(s.firstRepeatMs).toISOString(),
          lastRepeatAt: new Date(s.lastRepeatMs).toISOString(),
        },
      });
    }
    this.summaries = new Map();
    this.anonymous = 0;
    return out;
  }
}

/** Records every request the gateway refuses (see rejectionEvent for what is kept). */
@Injectable()
export class RejectionAuditor implements OnApplicationShutdown {
  private readonly logger = new Logger('Rejections');
  private readonly summaries = new RefusalSummaries();
  private readonly timer: NodeJS.Timeout;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.timer = setInterval(() => void this.endWindow(), config.MSX_GATEWAY_FAILURE_WINDOW_MS);
    this.timer.unref();
  }

  /**
   * After the HTTP server has closed, so that refusals of the requests answered while it stopped are in the
   * last window; before the bus closes (the bus module, global, shuts down last).
   */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await stopping('refusal summaries', () => this.endWindow());
  }

  /** Records the repeats of the window that ends now, as summaries. */
  async endWindow(): Promise<void> {
    for (const summary of this.summaries.endWindow()) await this.publish(summary);
  }

  async record(r: Rejection): Promise<void> {
    const now = this.summaries.admit(r);
    if (now) await this.publish(now);
  }

  private async publish(r: Rejection): Promise<void> {
    try {
      await publishAuditEvent(this.bus.js, GATEWAY_NODE, rejectionEvent(r));
    } catch (err) {
      this.logger.error(
        `could not audit rejection ${r.code} [${r.correlationId}]: ${(err as Error).message}`,
      );
    }
  }
}
