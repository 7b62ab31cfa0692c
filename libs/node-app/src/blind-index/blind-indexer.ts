import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AuditOperation, decodeEnvelope, encodeEnvelope, SelectorKind, type Envelope } from '#contracts';
import { Headers, publishDurably, Subjects, type Bus } from '#messaging';
import { needsOriginatorConsent } from '#policy';
import { BUS } from '#runtime';
import type { HoldingsStore } from '../holdings/holdings-store.js';
import type { InboxHandler, InboxItem, NodeOperation } from '../inbox-worker.js';
import { HOLDINGS, NODE_ID } from '../node-app.tokens.js';
import { blindIndexUpdateFor } from './blind-envelopes.js';
import { BlindTokenStore } from './blind-index.store.js';
import { blindTokensOf, type HeldToken, type MatchingKey } from './matching-key.js';

/** A node's part in blind hit/no-hit: the matching key and the matching service it tells. */
export interface BlindIndexOptions {
  key: MatchingKey;
  /** The matching service's node id. */
  matcher: string;
}

export const BLIND_INDEX_OPTIONS = Symbol('MSX_BLIND_INDEX_OPTIONS');

/** The entry of the erasure account for an item's tokens in the blind index (one per selector kind). */
export const BLIND_INDEX_ENTRY = 'blind-index';

const kindName = (k: number) => (SelectorKind[k] ?? String(k)).toLowerCase().replaceAll('_', '-');

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
    @Inject(BUS) private readonly bus: Bus,
    @Inject(HOLDINGS) private readonly holdings: HoldingsStore,
    @Inject(BLIND_INDEX_OPTIONS) private readonly options: BlindIndexOptions,
  ) {
    this.store = new BlindTokenStore(holdings);
  }

  /** At start, after a rotation of the matching key: the items indexed under the old key, under the new. */
  async onApplicationBootstrap(): Promise<void> {
    const moved = await this.rekey();
    if (moved > 0)
      this.logger.log(`indexed ${moved} item(s) again under matching key ${this.options.key.id}`);
  }

  /**
   * Indexes again, under the node's key, every item indexed under another (the key was rotated), and takes
   * its tokens under the old key back. An item no longer held only has its old tokens taken back.
   * @returns how many items were moved
   */
  async rekey(): Promise<number> {
    const { key } = this.options;
    const stale = await this.store.itemsUnderOtherKeys(key.id);
    for (const itemId of stale) {
      const held = await this.holdings.get(itemId);
      if (held) {
        const tokens = blindTokensOf(key, decodeEnvelope(held.bytes));
        await this.store.add(itemId, key.id, tokens, (fresh) => this.tell(itemId, { added: fresh }, key.id));
      }
      await this.store.remove(itemId, (lost, keyId) => this.tell(itemId, { removed: lost }, keyId), key.id);
    }
    return stale.length;
  }

  async handle({ envelope, itemId, correlationId }: InboxItem): Promise<NodeOperation[]> {
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
    const told = await this.store.add(itemId, key.id, tokens, (fresh) =>
      this.tell(itemId, { added: fresh }, key.id, correlationId),
    );
    return [
      {
        operation: AuditOperation.COMBINED,
        key: BLIND_INDEX_ENTRY,
        counterpart: matcher,
        detail: {
          index: 'blind hit/no-hit',
          keyId: key.id,
          selectorKinds: [...new Set(tokens.map((t) => kindName(t.kind)))].sort(),
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

  private async tell(
    itemId: string,
    change: { added?: HeldToken[]; removed?: HeldToken[] },
    keyId: string,
    correlationId?: string,
  ): Promise<void> {
    const update = blindIndexUpdateFor({
      node: this.node,
      idKey: this.bus.idKey,
      matcher: this.options.matcher,
      keyId,
      itemId,
      ...change,
      nowMs: Date.now(),
    });
    await publishDurably(this.bus.js, Subjects.submit(this.node), encodeEnvelope(update), {
      msgID: update.id,
      headers: correlationId ? { [Headers.correlationId]: correlationId } : undefined,
    });
  }

  /** The selector kinds the item is indexed by, as entries of its erasure account. */
  async beginErasure(itemId: string): Promise<string[]> {
    return (await this.store.kindsOf(itemId)).map((k) => `${BLIND_INDEX_ENTRY}:${kindName(k)}`);
  }

  /** Takes the item's tokens back from the matching service, those no other item of the node carries. */
  async erase(itemId: string): Promise<void> {
    const gone = await this.store.remove(itemId, (lost, keyId) =>
      this.tell(itemId, { removed: lost }, keyId),
    );
    if (gone.length > 0)
      this.logger.log(`took ${gone.length} token(s) of ${itemId} back from the blind index`);
  }
}
