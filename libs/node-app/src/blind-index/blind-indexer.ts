import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AuditOperation, decodeEnvelope, Purpose, type Envelope, type UseOfItems } from '#contracts';
import { needsOriginatorConsent } from '#policy';
import type { HoldingsStore } from '../holdings/holdings-store.js';
import type { InboxHandler, InboxItem, NodeOperation } from '../inbox-worker.js';
import { purposeWithheld } from '../purpose-limitation.js';
import { HOLDINGS, NODE_ID } from '../node-app.tokens.js';
import { OUTBOX, OutboxSender } from '../outbox/outbox-sender.js';
import type { OutboxStore } from '../outbox/outbox.store.js';
import { blindIndexUpdateFor } from './blind-envelopes.js';
import { BlindTokenStore, type UpdateFor } from './blind-index.store.js';
import { blindTokensOf, selectorKindLabel, type MatchingKey } from './matching-key.js';

/** A node's part in blind hit/no-hit: the matching key and the matching service it tells. */
export interface BlindIndexOptions {
  key: MatchingKey;
  /** The matching service's node id. */
  matcher: string;
}

export const BLIND_INDEX_OPTIONS = Symbol('MSX_BLIND_INDEX_OPTIONS');

/** The entry of the erasure account for an item's tokens in the blind index (one per selector kind). */
export const BLIND_INDEX_ENTRY = 'blind-index';

/**
 * What the blind index is for: finding who holds what an investigation, financial or not, is after. An item
 * that serves neither purpose stays out of it (and so never makes its holder a hit).
 */
export const BLIND_INDEX_USE: UseOfItems = {
  name: BLIND_INDEX_ENTRY,
  serves: [Purpose.CRIMINAL_INVESTIGATION, Purpose.FINANCIAL_INVESTIGATION],
};

/**
 * A node's part in blind hit/no-hit (DESIGN §2): for each item of intelligence it receives that is not under
 * its originator's control (H0/H1, TLP CLEAR/GREEN), it tells the matching service the tokens of the
 * selectors the item carries — keyed hashes, never values — and takes them back when the item is erased
 * and no other item carries them. When the matching service tells it that a party asked about one of its
 * tokens, it names the items concerned in its audit trail, so its officers know who asked about what.
 */
@Injectable()
export class BlindIndexer implements InboxHandler, OnApplicationBootstrap {
  private readonly logger = new Logger('BlindIndex');
  private readonly store: BlindTokenStore;

  constructor(
    @Inject(NODE_ID) private readonly node: string,
    @Inject(HOLDINGS) private readonly holdings: HoldingsStore,
    @Inject(OUTBOX) outbox: OutboxStore,
    private readonly sender: OutboxSender,
    @Inject(BLIND_INDEX_OPTIONS) private readonly options: BlindIndexOptions,
  ) {
    this.store = new BlindTokenStore(holdings, outbox);
  }

  /**
   * At start: the items indexed under an old key (after a rotation) move to the node's key, and the tokens
   * of items no longer held (an erasure that stopped half-way) are taken back. Both only write the index and
   * the outbox, so they need no link to the exchange.
   */
  async onApplicationBootstrap(): Promise<void> {
    const moved = await this.rekey();
    if (moved > 0)
      this.logger.log(`indexed ${moved} item(s) again under matching key ${this.options.key.id}`);
    let orphans = 0;
    for (const itemId of await this.store.orphans()) {
      await this.store.remove(itemId, this.update);
      orphans++;
    }
    if (orphans > 0) this.logger.log(`took back the tokens of ${orphans} item(s) no longer held`);
    if (moved + orphans > 0) this.sender.nudge();
  }

  /**
   * Indexes again, under the node's key, every item indexed under another (the key was rotated), and takes
   * its tokens under the old key back, in one transaction per item; an item erased meanwhile is left alone,
   * and one no longer held only has its old tokens taken back.
   * @returns how many items were moved
   */
  async rekey(): Promise<number> {
    const { key } = this.options;
    let moved = 0;
    for (const itemId of await this.store.itemsUnderOtherKeys(key.id)) {
      const held = await this.holdings.get(itemId);
      if (held) {
        const tokens = blindTokensOf(key, decodeEnvelope(held.bytes));
        if (await this.store.move(itemId, key.id, tokens, this.update)) moved++;
      } else {
        await this.store.remove(itemId, this.update);
      }
    }
    return moved;
  }

  /** The index update for a change of the node's tokens, from this node to the matching service. */
  private readonly update: UpdateFor = (change, keyId) =>
    blindIndexUpdateFor({
      node: this.node,
      matcher: this.options.matcher,
      keyId,
      ...change,
      nowMs: Date.now(),
    });

  async handle({ envelope, itemId }: InboxItem): Promise<NodeOperation[]> {
    const p = envelope.payload;
    if (p.case === 'blindQueryNotice') return this.noticed(envelope, p.value.askedBy, p.value.tokens);
    if (p.case === 'blindAnswer') return this.answered(envelope);
    // Another party's item only, and only what its originator leaves to its holders: H2/H3 and TLP
    // AMBER/RED stay out, so a hit never reveals that the node holds what it may not pass on.
    if (envelope.sender === this.node || needsOriginatorConsent(envelope.handlingCode, envelope.tlp))
      return [];
    const tokens = blindTokensOf(this.options.key, envelope);
    if (tokens.length === 0) return [];
    const { key, matcher } = this.options;
    const outOfPurpose = purposeWithheld(envelope, BLIND_INDEX_USE, matcher);
    if (outOfPurpose) return [outOfPurpose];
    const told = await this.store.add(itemId, key.id, tokens, this.update);
    if (told.length > 0) this.sender.nudge();
    return [
      {
        operation: AuditOperation.COMBINED,
        key: BLIND_INDEX_ENTRY,
        counterpart: matcher,
        detail: {
          index: 'blind hit/no-hit',
          keyId: key.id,
          selectorKinds: [...new Set(tokens.map((t) => selectorKindLabel(t.kind)))].sort(),
          tokens: tokens.length,
          told: told.length,
        },
      },
    ];
  }

  /** The matching service told the node that a party asked about tokens it holds: which items, for its trail. */
  private async noticed(
    envelope: Envelope,
    askedBy: string,
    tokens: readonly { token: string }[],
  ): Promise<NodeOperation[]> {
    const items = await this.store.itemsWith(
      this.options.key.id,
      tokens.map((t) => t.token),
    );
    this.logger.log(
      `${askedBy} asked the matching service about ${tokens.length} selector(s) of ${items.length} item(s)`,
    );
    return [
      {
        operation: AuditOperation.COMBINED,
        key: 'blind-query-notice',
        counterpart: askedBy,
        detail: { askedBy, purpose: envelope.purpose, items, tokens: tokens.length },
      },
    ];
  }

  private answered(envelope: Envelope): NodeOperation[] {
    const p = envelope.payload;
    if (p.case !== 'blindAnswer') return [];
    const hits = p.value.verdicts.filter((v) => v.hit);
    const holders = [...new Set(hits.flatMap((v) => v.holders))].sort();
    this.logger.log(
      p.value.refusedRule
        ? `blind query ${p.value.queryId} refused: ${p.value.refusedRule}`
        : `blind query ${p.value.queryId}: ${hits.length} of ${p.value.verdicts.length} hit${holders.length ? ` (${holders.join(', ')})` : ''}`,
    );
    return [];
  }

  /** The selector kinds the item is indexed by, as entries of its erasure account. */
  async beginErasure(itemId: string): Promise<string[]> {
    return (await this.store.kindsOf(itemId)).map((k) => `${BLIND_INDEX_ENTRY}:${selectorKindLabel(k)}`);
  }

  /** Takes the item's tokens back from the matching service, those no other item of the node carries. */
  async erase(itemId: string): Promise<void> {
    const gone = await this.store.remove(itemId, this.update);
    if (gone.length > 0) {
      this.logger.log(`taking ${gone.length} token(s) of ${itemId} back from the blind index`);
      this.sender.nudge();
    }
  }
}
