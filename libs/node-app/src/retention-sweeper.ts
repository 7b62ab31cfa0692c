import { Inject, Injectable } from '@nestjs/common';
import { AuditOperation, nameBasedId, newAuditEvent, RecallReason, type AuditEvent } from '#contracts';
import { publishAuditEvent, type Bus } from '#messaging';
import { BUS, busLogger, PeriodicDuty } from '#runtime';
import {
  ERASED_COPY,
  type ErasureAccount,
  type ExpiredItem,
  type HoldingsStore,
} from './holdings/holdings-store.js';
import { NodeErasure } from './node-erasure.js';
import { HOLDINGS, NODE_ID, RETENTION_SWEEP_MS } from './node-app.tokens.js';

/** The rule under which a node erased an item on its own, because its time to be kept had ended. */
export const RETENTION_RULE = 'NODE.RETENTION_ENDED';

/** The audit row of an erasure on retention: the node as actor, the item as subject. */
export function retentionErasedEvent(node: string, item: ExpiredItem, account: ErasureAccount): AuditEvent {
  return newAuditEvent({
    eventId: nameBasedId(node, item.itemId, 'retention-erased'),
    operation: AuditOperation.ERASED,
    actorNode: node,
    actorPerson: `${node}.retention`,
    messageId: item.itemId,
    messageType: item.messageType,
    handlingCode: item.handlingCode,
    tlp: item.tlp,
    messageSha256: item.sha256,
    counterpartNode: account.originator ?? '',
    rule: RETENTION_RULE,
    detailJson: JSON.stringify({
      reason: RecallReason[RecallReason.EXPIRED],
      keptUntil: item.keptUntil.toISOString(),
      erased: account.erased,
      hadCopy: account.erased.includes(ERASED_COPY),
      erasedAt: account.erasedAt.toISOString(),
    }),
  });
}

/**
 * Enforces retention on the node's own holdings (not only through the router's expiry recall): at start and
 * then every `MSX_RETENTION_SWEEP_MS` it erases each item a copy of which was to be kept no longer (its
 * expiresAt, or the directory's retention for its type), with everything derived from it and passed on, the
 * same way a recall does, and audits `erased` under NODE.RETENTION_ENDED. When the router's expiry recall
 * comes later, it is answered from the same account.
 */
@Injectable()
export class RetentionSweeper extends PeriodicDuty {
  private readonly logger = busLogger('Retention');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(NODE_ID) private readonly node: string,
    @Inject(HOLDINGS) private readonly holdings: HoldingsStore,
    @Inject(RETENTION_SWEEP_MS) everyMs: number,
    private readonly erasure: NodeErasure,
  ) {
    super(everyMs);
  }

  protected async runDue(): Promise<void> {
    const n = await this.sweep();
    if (n > 0) this.logger.log(`erased ${n} item(s) whose retention ended`);
  }

  protected dutyFailed(err: Error): void {
    this.logger.warn(`retention sweep stopped: ${err.message}; trying again`);
  }

  /**
   * Erases every item whose retention ended by `now`.
   * @returns how many items were erased
   */
  async sweep(now = new Date()): Promise<number> {
    let erased = 0;
    for (;;) {
      const due = await this.holdings.expired(now);
      if (due.length === 0 || this.periodic.isStopped) return erased;
      for (const item of due) {
        const notice = {
          id: nameBasedId(this.node, item.itemId, 'retention'),
          sender: this.node,
          reason: RecallReason[RecallReason.EXPIRED],
        };
        const account = await this.erasure.erase(item.itemId, notice);
        if (!account) continue;
        await publishAuditEvent(this.bus.js, this.node, retentionErasedEvent(this.node, item, account));
        erased++;
      }
    }
  }
}
