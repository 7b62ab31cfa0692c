import { describe, expect, it } from '@jest/globals';
import type { MsxError } from '#contracts';
import { RateLimitedError } from './gateway-tokens.js';
import { PreviewBudget } from './preview-budget.js';

const budget = (limit: number) =>
  new PreviewBudget({ MSX_GATEWAY_PREVIEW_LIMIT: limit, MSX_GATEWAY_PREVIEW_WINDOW_MS: 60_000 });

const refusalOf = (f: () => void): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('PreviewBudget', () => {
  it('answers 429 with the seconds left once a person has used the window’s previews, naming the setting', () => {
    const b = budget(3);
    const officer = { node: 'emlo-ne', holder: 'emlo-ne.officer-17' };
    for (let i = 0; i < 3; i++) b.take(officer);
    const err = refusalOf(() => b.take(officer));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).code).toBe('GATEWAY.RATE_LIMITED');
    expect((err as RateLimitedError).retryAfterS).toBeGreaterThanOrEqual(59);
    expect((err as RateLimitedError).retryAfterS).toBeLessThanOrEqual(60);
    expect((err as MsxError).message).toContain('emlo-ne.officer-17');
    expect((err as MsxError).message).toContain('MSX_GATEWAY_PREVIEW_LIMIT');
  });

  it('counts each person apart, and a node’s systems together whichever officer they name', () => {
    const b = budget(2);
    b.take({ node: 'emlo-ne', holder: 'emlo-ne.officer-17' });
    b.take({ node: 'emlo-ne', holder: 'emlo-ne.officer-17' });
    // Another officer of the same node, and the node's systems, have their own counts.
    expect(() => b.take({ node: 'emlo-ne', holder: 'emlo-ne.officer-18' })).not.toThrow();
    expect(() => b.take({ node: 'emlo-ne' })).not.toThrow();
    expect(() => b.take({ node: 'emlo-ne' })).not.toThrow();
    expect(() => b.take({ node: 'emlo-ne' })).toThrow(RateLimitedError);
    // The systems of another node are not held off with emlo-ne's.
    expect(() => b.take({ node: 'cp-it' })).not.toThrow();
  });
});
