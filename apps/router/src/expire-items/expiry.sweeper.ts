import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { encodeEnvelope, ROUTER_NODE } from '#contracts';
import { AuditGate, busLogger } from '#runtime';
import type { ExpiryIndex } from '../ledger/expiry-index.js';
import type { Ledger } from '../ledger/ledger.js';
import { RouteMessageService } from '../route-message/route-message.service.js';
import { EXPIRY_INDEX, LEDGER, ROUTER_KEYS } from '../router.tokens.js';
import type { RouterKeys } from '../vouch-deliveries/router-keys.js';
import { expiryRecallFor } from './expiry-recall.js';

/** How often the router looks for expired items, in milliseconds. */
export const EXPIRY_SWEEP_MS = 2_000;

/**
 * Expiry propagates like a recall: when an item's retention ends, the router recalls it from everyone who
 * received it (reason EXPIRED); each recipient erases its copy and confirms with an erasure receipt.
 */
@Injectable()
export class ExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private sweeping = false;
  private readonly logger = busLogger('Expiry');

  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject(EXPIRY_INDEX) private readonly index: ExpiryIndex,
    @Inject(ROUTER_KEYS) private readonly keys: RouterKeys,
    private readonly routing: RouteMessageService,
    private readonly auditGate: AuditGate,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const item of await this.ledger.expiringItems()) this.index.track(item);
    this.timer = setInterval(() => void this.sweep(), EXPIRY_SWEEP_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Recalls every item whose retention has ended; returns how many. */
  async sweep(nowMs: number = Date.now()): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let recalled = 0;
    try {
      for (const id of this.index.due(nowMs)) {
        // While the audit trail cannot record, recalls wait for the next sweep.
        if (!this.auditGate.state().open) break;
        // One item that cannot be recalled now (held by another router, say) does not hold up the others.
        try {
          const item = await this.ledger.item(id);
          if (!item || item.recalled) {
            this.index.track({ messageId: id });
            continue;
          }
          const recall = expiryRecallFor(item, nowMs, this.keys);
          await this.routing.route({
            envelope: recall,
            bytes: encodeEnvelope(recall),
            publisher: ROUTER_NODE,
            submitSeq: 0,
            correlationId: '',
          });
          this.logger.log(
            `recalled expired ${item.type} ${item.messageId} from ${item.recipients.join(', ')}`,
          );
          recalled++;
        } catch (err) {
          this.logger.error(`expiry recall of ${id} failed, will retry: ${(err as Error).message}`);
        }
      }
    } finally {
      this.sweeping = false;
    }
    return recalled;
  }
}
