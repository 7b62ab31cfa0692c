import { describe, expect, it } from '@jest/globals';
import { nameBasedId, sha256Hex, uuidv7 } from './ids.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ids', () => {
  it('makes version-7 UUIDs that sort by creation time', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a).toMatch(UUID);
    expect(a[14]).toBe('7');
    expect(a.slice(0, 13)).toBe('018bcfe5-6800');
    expect(a < b).toBe(true);
    expect(uuidv7()).not.toBe(uuidv7());
  });

  it('makes the same name-based id for the same parts, and another for other parts', () => {
    const id = nameBasedId('0193a1b2-0000-7000-8000-000000000001', 'delivered', 'cp-it');
    expect(id).toMatch(UUID);
    expect(id[14]).toBe('5');
    expect(nameBasedId('0193a1b2-0000-7000-8000-000000000001', 'delivered', 'cp-it')).toBe(id);
    expect(nameBasedId('0193a1b2-0000-7000-8000-000000000001', 'delivered', 'cp-mt')).not.toBe(id);
    // Parts are separated, so ('ab','c') and ('a','bc') differ.
    expect(nameBasedId('ab', 'c')).not.toBe(nameBasedId('a', 'bc'));
  });

  it('hashes bytes with SHA-256', () => {
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
