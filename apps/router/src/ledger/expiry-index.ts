/** An item's expiry as the index holds it. */
interface Entry {
  atMs: number;
  messageId: string;
}

/**
 * The items that will expire, by id, kept in memory so a sweep costs nothing when nothing is due: a sweep
 * looks only at the items due, soonest first, however many items are held (every item of five-year
 * retention is). The times are a min-heap beside the map; an entry whose item was forgotten or given another
 * time stays in the heap until it comes up, and is then dropped.
 */
export class ExpiryIndex {
  private readonly expiresAt = new Map<string, number>();
  /** Soonest first; may hold stale entries (see {@link isCurrent}). */
  private readonly heap: Entry[] = [];

  /** Remembers (or forgets, when recalled or without expiry) an item. */
  track(item: { messageId: string; expiresAtMs?: number; recalled?: boolean }): void {
    const { messageId, expiresAtMs } = item;
    if (expiresAtMs === undefined || item.recalled) this.expiresAt.delete(messageId);
    else if (this.expiresAt.get(messageId) !== expiresAtMs) {
      this.expiresAt.set(messageId, expiresAtMs);
      this.push({ atMs: expiresAtMs, messageId });
    }
    // Items forgotten long before they expire leave entries that would come up only then: rebuilt once they
    // are as many as the items held, the heap stays within twice the index.
    if (this.heap.length > 2 * this.expiresAt.size + 1024) this.rebuild();
  }

  /**
   * Ids whose expiry is at or before `nowMs`, soonest first. They stay in the index until forgotten
   * ({@link track} of the recalled item), so an item whose recall failed is due again at the next sweep.
   */
  due(nowMs: number): string[] {
    const due: Entry[] = [];
    const seen = new Set<string>();
    while (this.heap.length > 0 && this.heap[0].atMs <= nowMs) {
      const e = this.pop();
      // An item given a time, another, then the first again has two current entries: one is kept.
      if (this.isCurrent(e) && !seen.has(e.messageId)) {
        seen.add(e.messageId);
        due.push(e);
      }
    }
    for (const e of due) this.push(e);
    return due.map((e) => e.messageId);
  }

  size(): number {
    return this.expiresAt.size;
  }

  /** Entries in the heap, stale ones included: for tests of the bound. */
  heldEntries(): number {
    return this.heap.length;
  }

  private isCurrent(e: Entry): boolean {
    return this.expiresAt.get(e.messageId) === e.atMs;
  }

  private rebuild(): void {
    this.heap.length = 0;
    for (const [messageId, atMs] of this.expiresAt) this.push({ atMs, messageId });
  }

  private push(e: Entry): void {
    const h = this.heap;
    let i = h.push(e) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent].atMs <= e.atMs) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = e;
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const c = l + 1 < h.length && h[l + 1].atMs < h[l].atMs ? l + 1 : l;
        if (h[c].atMs >= last.atMs) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
