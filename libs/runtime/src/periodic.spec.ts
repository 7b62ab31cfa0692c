import { describe, expect, it } from '@jest/globals';
import { lastCompletePeriod, Periodic } from './periodic.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a periodic duty', () => {
  it('runs at once, again after each run, goes on after a failure, and stops after the run in progress', async () => {
    const runs: number[] = [];
    const errors: string[] = [];
    let release!: () => void;
    const periodic = new Periodic(
      10,
      async () => {
        runs.push(runs.length);
        if (runs.length === 2) throw new Error('database away');
        if (runs.length === 4) await new Promise<void>((r) => (release = r));
      },
      (err) => errors.push(err.message),
    );
    periodic.start();
    expect(runs).toEqual([0]);
    while (runs.length < 4) await sleep(5);
    expect(errors).toEqual(['database away']);
    let stopped = false;
    const stopping = periodic.stop().then(() => (stopped = true));
    await sleep(30);
    expect(stopped).toBe(false);
    expect(periodic.isStopped).toBe(true);
    release();
    await stopping;
    await sleep(30);
    expect(runs).toHaveLength(4);
  });
});

describe('lastCompletePeriod', () => {
  it('is the last whole period before now, aligned to the epoch so that every process agrees on it', () => {
    const day = 86_400_000;
    const now = Date.parse('2026-12-06T10:00:00Z');
    // Weeks from the epoch begin on a Thursday: 2026-11-26 to 2026-12-03.
    expect(lastCompletePeriod(now, 7 * day)).toEqual({
      startMs: Date.parse('2026-11-26T00:00:00Z'),
      endMs: Date.parse('2026-12-03T00:00:00Z'),
    });
    expect(lastCompletePeriod(10_500, 1_000)).toEqual({ startMs: 9_000, endMs: 10_000 });
    expect(lastCompletePeriod(10_000, 1_000)).toEqual({ startMs: 9_000, endMs: 10_000 });
  });
});
