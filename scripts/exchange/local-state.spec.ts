import { describe, expect, it } from '@jest/globals';
import { maskToken } from './local-state.js';

describe("npm start's banner", () => {
  it('shows a gateway token only as a recognisable prefix, never whole', () => {
    const token = 'tQDKmFIbcAf0B1HSx9aP0q3L7m2N4vW8';
    expect(maskToken(token)).toBe('tQDK…');
    expect(maskToken(token)).not.toContain(token.slice(4, 8));
    expect(maskToken(undefined)).toBe('(none)');
  });
});
