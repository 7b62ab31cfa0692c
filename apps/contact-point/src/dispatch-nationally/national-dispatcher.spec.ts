import { describe, expect, it } from '@jest/globals';
import { retryDelayMs } from './national-dispatcher.js';

describe('national dispatch retries', () => {
  it('doubles the delay from the first one and stops at the maximum, however many attempts failed', () => {
    const policy = { reportAfter: 5, firstDelayMs: 1_000, maxDelayMs: 300_000, timeoutMs: 10_000 };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(policy, n))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(retryDelayMs(policy, 9)).toBe(256_000);
    expect(retryDelayMs(policy, 10)).toBe(300_000);
    expect(retryDelayMs(policy, 1_000_000)).toBe(300_000);
  });
});
