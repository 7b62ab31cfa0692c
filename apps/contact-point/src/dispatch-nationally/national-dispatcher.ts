import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  AuditOperation,
  HandlingCode,
  nameBasedId,
  newAuditEvent,
  purposeLabel,
  Tlp,
  type AuditEvent,
} from '#contracts';
import { publishAuditEvent, type Bus } from '#messaging';
import { NODE_ID } from '#node-app';
import { BUS, stopping } from '#runtime';
import type { Attempt, DispatchQueue, DueDispatch } from './dispatch-queue.js';
import { DispatchFailed, DispatchInterrupted, type NationalTransport } from './national-transport.js';
import {
  AUTHORITY_PURPOSE,
  type NationalAuthorities,
  type NationalAuthority,
  type RetryPolicy,
} from './national-authorities.js';

export const NATIONAL_AUTHORITIES = Symbol('MSX_NATIONAL_AUTHORITIES');
export const DISPATCH_QUEUE = Symbol('MSX_DISPATCH_QUEUE');
export const NATIONAL_TRANSPORT = Symbol('MSX_NATIONAL_TRANSPORT');

/** How long the dispatcher sleeps at most between looks at the queue when nothing woke it. */
const IDLE_MS = 1_000;

/** The delay before attempt `attempts + 1`: doubling from the first delay, capped. */
export function retryDelayMs(policy: RetryPolicy, attempts: number): number {
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
}

/** The audit row of a dispatch: the contact point as actor, the authority as counterpart. */
export function dispatchEvent(
  node: string,
  d: DueDispatch,
  key: string,
  fields: Pick<AuditEvent, 'operation'> & Partial<Pick<AuditEvent, 'rule'>> & { detail: object },
): AuditEvent {
  return newAuditEvent({
    eventId: nameBasedId(node, d.messageId, key),
    operation: fields.operation,
    actorNode: node,
    actorPerson: `${node}.dispatch`,
    counterpartNode: `${node}/${d.authority}`,
    // A recall passed on concerns the item; an item dispatched is the copy the node received.
    messageId: d.kind === 'recall' ? d.itemId : d.messageId,
    messageType: d.messageType,
    handlingCode: HandlingCode[d.handlingCode as keyof typeof HandlingCode] ?? HandlingCode.UNSPECIFIED,
    tlp: Tlp[d.tlp as keyof typeof Tlp] ?? Tlp.UNSPECIFIED,
    messageSha256: d.sha256,
    ...(fields.rule ? { rule: fields.rule } : {}),
    detailJson: JSON.stringify(fields.detail),
  });
}

/**
 * Works a contact point's national dispatch queue: sends what is due, oldest first, and audits each dispatch
 * as a disclosure once the authority accepted it. A failed attempt is retried with a doubling delay; after
 * `retry.reportAfter` failures it is reported (an audit row with rule DISPATCH.FAILING and an error in the
 * log) and still retried, never dropped. An authority that failed is skipped for the rest of a pass, so one
 * that is down does not hold up the others.
 */
@Injectable()
export class NationalDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('NationalDispatch');
  private running?: Promise<void>;
  private stopped = false;
  /** Aborted at shutdown: a dispatch on its way is called off rather than waited for up to its timeout. */
  private readonly stop = new AbortController();
  private wakeUp?: () => void;
  private woken = false;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(NODE_ID) private readonly node: string,
    @Inject(DISPATCH_QUEUE) private readonly queue: DispatchQueue,
    @Inject(NATIONAL_AUTHORITIES) private readonly config: NationalAuthorities,
    @Inject(NATIONAL_TRANSPORT) private readonly transport: NationalTransport,
  ) {}

  onApplicationBootstrap(): void {
    const ids = this.config.authorities.map((a) => `${a.id} (${a.kind}, ${a.endpoint.transport})`);
    if (ids.length === 0)
      this.logger.warn(`${this.node} has no national authorities (MSX_DISPATCH_FILE); it dispatches nothing`);
    else this.logger.log(`${this.node} dispatches to ${ids.join(', ')}`);
    this.running = this.run();
  }

  /** Looks at the queue now (something was queued). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.stop.abort();
    this.wake();
    await stopping('national dispatch: attempt under way', () => this.running);
    await stopping('national dispatch: authority connections', () => this.transport.close());
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.pass();
      } catch (err) {
        if (err instanceof DispatchInterrupted) {
          this.logger.log(`${err.message}; it is sent again, under the same id, after the restart`);
          break;
        }
        this.logger.warn(`dispatch pass stopped: ${(err as Error).message}; trying again`);
      }
      if (this.stopped) break;
      let waitMs = IDLE_MS;
      try {
        const next = await this.queue.nextDue();
        if (next) waitMs = Math.max(0, Math.min(IDLE_MS, next.getTime() - Date.now()));
      } catch {
        // The holdings are away; the next pass says so.
      }
      if (!this.woken)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      this.wakeUp = undefined;
      this.woken = false;
    }
  }

  /**
   * Attempts every dispatch that is due now, once each.
   * @returns how many were attempted
   */
  async pass(): Promise<number> {
    const failed: string[] = [];
    let attempted = 0;
    const attempt = async (d: DueDispatch) => {
      const result = await this.attempt(d);
      if (result.outcome === 'failed') failed.push(d.authority);
      return result;
    };
    while (!this.stopped && (await this.queue.attemptNext(failed, attempt))) {
      attempted++;
    }
    return attempted;
  }

  private authority(id: string): NationalAuthority | undefined {
    return this.config.authorities.find((a) => a.id === id);
  }

  private async attempt(d: DueDispatch): Promise<Attempt> {
    const node = this.node;
    const key = d.kind === 'recall' ? `dispatch-recall:${d.authority}` : `dispatch:${d.authority}`;
    if (d.kind === 'item' && d.expiresAt && d.expiresAt.getTime() <= Date.now()) {
      await publishAuditEvent(
        this.bus.js,
        node,
        dispatchEvent(node, d, key, {
          operation: AuditOperation.WITHHELD,
          rule: 'DISPATCH.EXPIRED',
          detail: { authority: d.authority, reason: 'the item expired before it could be dispatched' },
        }),
      );
      return { outcome: 'withdrawn', rule: 'DISPATCH.EXPIRED' };
    }
    const authority = this.authority(d.authority);
    let error: string | undefined;
    if (!authority) error = `authority ${d.authority} is no longer in MSX_DISPATCH_FILE`;
    else {
      try {
        await this.transport.send(authority, d, this.config.retry.timeoutMs, this.stop.signal);
      } catch (err) {
        // Rolls the attempt back: the dispatch stays due, with no attempt counted against the authority.
        if (err instanceof DispatchInterrupted) throw err;
        error = err instanceof DispatchFailed ? err.message : `unexpected: ${(err as Error).message}`;
      }
    }
    if (error === undefined && authority) {
      await publishAuditEvent(
        this.bus.js,
        node,
        dispatchEvent(node, d, key, {
          operation: AuditOperation.DISPATCHED,
          detail: {
            authority: authority.id,
            authorityKind: authority.kind,
            kind: d.kind,
            dispatch: d.dispatchId,
            transport: authority.endpoint.transport,
            attempts: d.attempts + 1,
            // The purpose it was shared for travels with every disclosure of it (LED Art. 25), with the
            // purpose it was passed on for: the authority's task, which one of the item's purposes covered.
            ...(d.purpose ? { purpose: d.purpose } : {}),
            ...(d.kind === 'item' ? { passedOnFor: purposeLabel(AUTHORITY_PURPOSE[authority.kind]) } : {}),
          },
        }),
      );
      this.logger.log(`${d.kind} ${d.itemId} dispatched to ${d.authority} (attempt ${d.attempts + 1})`);
      return { outcome: 'sent' };
    }
    const attempts = d.attempts + 1;
    const report = !d.reported && attempts >= this.config.retry.reportAfter;
    const nextInMs = retryDelayMs(this.config.retry, attempts);
    if (report) {
      await publishAuditEvent(
        this.bus.js,
        node,
        dispatchEvent(node, d, `${key}:failing`, {
          operation: AuditOperation.REJECTED,
          rule: 'DISPATCH.FAILING',
          detail: {
            authority: d.authority,
            kind: d.kind,
            dispatch: d.dispatchId,
            attempts,
            error,
            stillRetrying: true,
          },
        }),
      );
      this.logger.error(
        `${d.kind} ${d.itemId} to ${d.authority} failed ${attempts} times (${error}); reported, still retrying`,
      );
    } else
      this.logger.warn(
        `${d.kind} ${d.itemId} to ${d.authority} failed (attempt ${attempts}: ${error}); retrying in ${nextInMs} ms`,
      );
    return { outcome: 'failed', error: error ?? 'unknown', nextInMs, report };
  }
}
