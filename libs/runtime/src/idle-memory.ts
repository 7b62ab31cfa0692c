import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** How often a service looks at whether it is idle. */
export const IDLE_CHECK_MS = 2_000;
/** Below this share of the event loop's time spent working over one check, the service counts as idle. */
export const IDLE_UTILIZATION = 0.03;
/** Checks in a row below {@link IDLE_UTILIZATION} before the service counts as idle: a lull in light traffic is not. */
export const QUIET_CHECKS = 2;
/**
 * Growth since the last collection that makes an idle collection worth it: of the heap in use beyond what was
 * live after it, or of the resident memory beyond what it left.
 */
export const IDLE_GROWTH_BYTES = 16 * 1024 * 1024;

/** What one check decided. */
export type IdleCheck = 'busy' | 'small' | 'collected';

export interface IdleMemoryOptions {
  /** A full garbage collection that gives freed memory back. */
  collect: () => Promise<void>;
  /** Bytes of heap in use now. */
  heapUsed?: () => number;
  /** Bytes of the process resident in memory now. */
  residentBytes?: () => number;
  /** The event loop's utilization since the previous call (0 to 1). */
  utilization?: () => number;
  growthBytes?: number;
  idleUtilization?: number;
  quietChecks?: number;
}

/**
 * Gives memory back when a service falls idle after work (DESIGN §8: every service small at rest). Under
 * load V8 grows the heap and collects the old space only when it must, so a service that just routed a
 * burst keeps its garbage, a hundred megabytes and more, until the next burst. One full collection once
 * the burst is over returns the heap to what is live and lets V8 release the pages: the router fell from
 * about 260 MB to about 115 MB resident this way. Nothing is collected while the event loop is busy or during a
 * short lull, and at most once per idle spell: the heap has to grow again before the next. A service that
 * mostly waits (light traffic on a slow database) can look idle while it still handles a few messages a
 * second; it then pauses for one collection each time its heap has grown by {@link IDLE_GROWTH_BYTES}.
 */
export class IdleMemory {
  private readonly heapUsed: () => number;
  private readonly residentBytes: () => number;
  private readonly utilization: () => number;
  private readonly growthBytes: number;
  private readonly idleUtilization: number;
  private readonly quietChecks: number;
  /** Checks in a row found idle. */
  private quiet = 0;
  /**
   * Heap in use after the last collection; none yet at start, so the first idle spell also frees what
   * starting the service left behind.
   */
  private baseline = 0;
  /** Resident memory after the last collection; none yet at start, like {@link baseline}. */
  private residentBaseline = 0;

  constructor(private readonly opts: IdleMemoryOptions) {
    this.heapUsed = opts.heapUsed ?? (() => getHeapStatistics().used_heap_size);
    this.residentBytes = opts.residentBytes ?? (() => process.memoryUsage.rss());
    this.utilization = opts.utilization ?? eventLoopUtilizationSinceLast();
    this.growthBytes = opts.growthBytes ?? IDLE_GROWTH_BYTES;
    this.idleUtilization = opts.idleUtilization ?? IDLE_UTILIZATION;
    this.quietChecks = opts.quietChecks ?? QUIET_CHECKS;
  }

  /**
   * One check: collects when the service has been idle for {@link QUIET_CHECKS} checks in a row and its heap
   * or its resident memory grew enough since the last collection. Resident memory counts on its own: V8's
   * young collections under load can leave the heap in use small while the pages it grew to stay resident
   * (the gateway after a burst: 55 MB in use, 150 MB resident; 110 MB after the collection).
   */
  async check(): Promise<IdleCheck> {
    if (this.utilization() >= this.idleUtilization) {
      this.quiet = 0;
      return 'busy';
    }
    if (++this.quiet < this.quietChecks) return 'busy';
    if (
      this.heapUsed() - this.baseline < this.growthBytes &&
      this.residentBytes() - this.residentBaseline < this.growthBytes
    )
      return 'small';
    await this.opts.collect();
    this.baseline = this.heapUsed();
    this.residentBaseline = this.residentBytes();
    return 'collected';
  }
}

/** The event loop's utilization between successive calls. */
function eventLoopUtilizationSinceLast(): () => number {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(now, last);
    last = now;
    return since.utilization;
  };
}

/**
 * V8's most thorough collection, as a heap profiler asks for it: every round it takes to free what is
 * unreachable, then the freed pages handed back to the system. It goes through an in-process inspector
 * session, which opens no port; `gc()` of `--expose-gc` frees as much but keeps more pages (the router at
 * rest: 84 MB against 51 MB in the same test).
 */
export function fullGarbageCollection(): () => Promise<void> {
  return async () => {
    // Imported when first needed: a Node built without the inspector then only keeps its garbage.
    const { Session } = await import('node:inspector');
    await new Promise<void>((resolve, reject) => {
      const session = new Session();
      session.connect();
      session.post('HeapProfiler.collectGarbage', (err) => {
        // Disconnecting inside the session's own callback never returns: leave it first.
        setImmediate(() => session.disconnect());
        if (err) reject(err);
        else resolve();
      });
    });
  };
}

/** Checks every {@link IDLE_CHECK_MS} whether to give memory back; the timer does not keep the process alive. */
export function startIdleMemory(checkEveryMs = IDLE_CHECK_MS): () => void {
  const idle = new IdleMemory({ collect: fullGarbageCollection() });
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    // A collection that fails costs nothing but the memory it would have given back.
    idle
      .check()
      .catch(() => 'busy')
      .finally(() => (checking = false));
  }, checkEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}
