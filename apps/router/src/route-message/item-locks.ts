/** Gives up a lock taken with {@link ItemLocks.acquire}; call it exactly once. */
export type ReleaseLock = () => void;

/**
 * Locks by item id within one process, granted in the order asked for. A key's entry is the promise that its
 * last holder releases; it is deleted when that holder releases with no one waiting behind it, so the map
 * holds only the items being worked on and never grows with traffic.
 */
export class ItemLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Resolves once every earlier holder of `key` has released it; the caller holds it until it releases. */
  async acquire(key: string): Promise<ReleaseLock> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: ReleaseLock;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.tails.set(key, released);
    await previous;
    return () => {
      // Someone who came later is queued behind `released` and owns the entry now; otherwise it is gone.
      if (this.tails.get(key) === released) this.tails.delete(key);
      release();
    };
  }

  /** How many items are locked or waited for: for tests, which check that nothing is left behind. */
  get size(): number {
    return this.tails.size;
  }
}
