/** The value below which `p` percent of the sorted samples fall (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** p50, p99 and max of unsorted samples. */
export function summary(samples: readonly number[]): { p50: number; p99: number; max: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    n: sorted.length,
  };
}

/** Milliseconds since an arbitrary origin, with sub-millisecond resolution. */
export const nowMs = () => performance.now();

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `task` with at most `inFlight` calls outstanding until `until()` is true; resolves with the count done. */
export async function windowed(
  inFlight: number,
  until: () => boolean,
  task: (i: number) => Promise<void>,
): Promise<number> {
  let started = 0;
  let done = 0;
  let failed: unknown;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (!until() && failed === undefined) {
        const i = started++;
        try {
          await task(i);
          done++;
        } catch (err) {
          failed = err;
        }
      }
    }),
  );
  if (failed instanceof Error) throw failed;
  if (failed !== undefined) throw new Error('a task failed');
  return done;
}

/** Runs `task(0…count-1)` with at most `inFlight` calls outstanding. */
export async function forEachWindowed(
  count: number,
  inFlight: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}
