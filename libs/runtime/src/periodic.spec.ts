import { describe, expect, it } from '@jest/globals';
import { Periodic } from './periodic.js';

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
