/** The items that will expire, by id, kept in memory so a sweep costs nothing when nothing is due. */
export class ExpiryIndex {
  private readonly expiresAt = new Map<string, number>();

  /** Remembers (or forgets, when recalled or without expiry) an item. */
  track(item: { messageId: string; expiresAtMs?: number; recalled?: boolean }): void {
    if (item.expiresAtMs === undefined || item.recalled) this.expiresAt.delete(item.messageId);
    else this.expiresAt.set(item.messageId, item.expiresAtMs);
  }

  /** Ids whose expiry is at or before `nowMs`, soonest first. */
  due(nowMs: number): string[] {
    return [...this.expiresAt]
      .filter(([, at]) => at <= nowMs)
      .sort((a, b) => a[1] - b[1])
      .map(([id]) => id);
  }

  size(): number {
    return this.expiresAt.size;
  }
}
