import { describe, expect, it } from '@jest/globals';
import { addressKey, FailureLimiter } from './failure-limiter.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('FailureLimiter', () => {
  it('holds an address off once it reaches the limit, until its window ends', () => {
    const c = clock();
    const l = new FailureLimiter({ perAddress: 3, perCredential: 10, windowMs: 60_000 }, c.now);
    for (let i = 0; i < 2; i++) l.refused('10.0.0.1');
    expect(l.heldOffMs('10.0.0.1')).toBe(0);
    l.refused('10.0.0.1');
    expect(l.heldOffMs('10.0.0.1')).toBe(60_000);
    expect(l.heldOffMs('10.0.0.2')).toBe(0);
    c.advance(59_000);
    expect(l.heldOffMs('10.0.0.1')).toBe(1_000);
    c.advance(1_000);
    expect(l.heldOffMs('10.0.0.1')).toBe(0);
  });

  it('holds a credential off from every address once it reaches its limit', () => {
    const c = clock();
    const l = new FailureLimiter({ perAddress: 100, perCredential: 2, windowMs: 10_000 }, c.now);
    l.refused('10.0.0.1', 'cred-a');
    l.refused('10.0.0.2', 'cred-a');
    expect(l.heldOffMs('10.0.0.3', 'cred-a')).toBe(10_000);
    expect(l.heldOffMs('10.0.0.3', 'cred-b')).toBe(0);
    expect(l.heldOffMs('10.0.0.3')).toBe(0);
  });

  it('starts a fresh window after the last one ended, counting from one', () => {
    const c = clock();
    const l = new FailureLimiter({ perAddress: 2, perCredential: 2, windowMs: 1_000 }, c.now);
    l.refused('a');
    c.advance(1_000);
    l.refused('a');
    expect(l.heldOffMs('a')).toBe(0);
    l.refused('a');
    expect(l.heldOffMs('a')).toBe(1_000);
  });

  it('tracks at most maxTracked sources, forgetting the oldest windows first', () => {
    const c = clock();
    const l = new FailureLimiter(
      { perAddress: 1, perCredential: 1, windowMs: 60_000, maxTracked: 100 },
      c.now,
    );
    for (let i = 0; i < 1_000; i++) {
      l.refused(`10.0.${i >> 8}.${i & 255}`);
      c.advance(1);
    }
    expect(l.tracked).toBeLessThanOrEqual(100);
    expect(l.heldOffMs('10.0.3.231')).toBeGreaterThan(0); // the last one, still held off
    expect(l.heldOffMs('10.0.0.0')).toBe(0); // the first, forgotten
  });
});

describe('addressKey', () => {
  it('counts an IPv6 caller by its /64, however it writes its address', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('keeps IPv4 addresses apart, also when written IPv4-mapped', () => {
    expect(addressKey('10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('10.0.0.2')).not.toBe(addressKey('10.0.0.1'));
  });

  it('holds off a whole /64 once its addresses together reach the limit', () => {
    const l = new FailureLimiter({ perAddress: 3, perCredential: 10, windowMs: 60_000 }, () => 0);
    l.refused('2001:db8:1:2::a');
    l.refused('2001:db8:1:2::b');
    l.refused('2001:db8:1:2:ffff::c');
    expect(l.heldOffMs('2001:db8:1:2::d')).toBe(60_000);
    expect(l.heldOffMs('2001:db8:1:3::a')).toBe(0);
  });
});
