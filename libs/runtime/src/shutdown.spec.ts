import { describe, expect, it } from '@jest/globals';
import { stillStopping, stopping } from './shutdown.js';

describe('the parts of a shutdown under way', () => {
  it('names a part while it stops, with how long it has taken, and forgets it once it has stopped', async () => {
    let done!: () => void;
    const part = stopping('inbox worker', () => new Promise<void>((resolve) => (done = resolve)));
    const [named] = stillStopping(Date.now() + 1_500);
    expect(named).toMatch(/^inbox worker \((1[5-9]\d\d|[2-9]\d\d\d) ms\)$/);
    done();
    await part;
    expect(stillStopping()).toEqual([]);
  });

  it('forgets a part that failed to stop, and passes its error on', async () => {
    await expect(
      stopping('bus connection', () => Promise.reject(new Error('drain timed out'))),
    ).rejects.toThrow('drain timed out');
    expect(stillStopping()).toEqual([]);
  });

  it('keeps two parts of the same name apart, oldest first', async () => {
    const releases: Array<() => void> = [];
    const parts = [1, 2].map(() =>
      stopping('run under way', () => new Promise<void>((resolve) => releases.push(resolve))),
    );
    expect(stillStopping().map((p) => p.replace(/ \(\d+ ms\)$/, ''))).toEqual([
      'run under way',
      'run under way (1)',
    ]);
    releases.forEach((r) => r());
    await Promise.all(parts);
    expect(stillStopping()).toEqual([]);
  });
});
