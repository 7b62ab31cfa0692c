import { Inject, Injectable } from '@nestjs/common';
import type { ErasureAccount, HoldingsStore } from './holdings/holdings-store.js';
import type { InboxHandler, RecallNotice } from './inbox-worker.js';
import { HOLDINGS, INBOX_HANDLER } from './node-app.tokens.js';

/**
 * The one way a node erases an item, for a recall and when its retention ends: the handler stops using it and
 * states what it keeps or passed on of it; the holdings erase every copy and derived record and store the
 * account; then the handler removes its records. Asked again (after a failure, or a recall after retention),
 * it answers with the first account.
 */
@Injectable()
export class NodeErasure {
  constructor(
    @Inject(INBOX_HANDLER) private readonly handler: InboxHandler,
    @Inject(HOLDINGS) private readonly holdings: HoldingsStore,
  ) {}

  /** @returns the account, or undefined when the node holds nothing of the item and never erased it */
  async erase(itemId: string, notice: RecallNotice): Promise<ErasureAccount | undefined> {
    const derived = (await this.handler.beginErasure?.(itemId, notice)) ?? [];
    const account = await this.holdings.erase(itemId, notice.id, derived);
    await this.handler.erase?.(itemId, notice);
    return account;
  }
}
