import { isIPv6 } from 'node:net';

/** How many refusals are tolerated, and over how long. */
export interface FailureLimits {
  /** Refusals from one address within the window before it is held off. */
  perAddress: number;
  /** Refusals for one credential (from any address) within the window before it is held off. */
  perCredential: number;
  windowMs: number;
  /** Most addresses and credentials tracked at once; the oldest window is forgotten first beyond it. */
  maxTracked?: number;
}

interface Window {
  startedMs: number;
  failures: number;
}

/**
 * Counts refused requests (bad or expired credentials, a role that may not call an endpoint) per address
 * and per credential in fixed windows. Past the limit, every request from that address, or with that
 * credential, is held off until the window ends: guessing tokens, or hammering with a revoked one, costs
 * the caller time and the exchange nothing. Memory is bounded by `maxTracked`.
 */
export class FailureLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly maxTracked: number;

  constructor(
    private readonly limits: FailureLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.maxTracked = limits.maxTracked ?? 100_000;
  }

  /** Milliseconds until a request from `address` (with `credentialId`) may be served again; 0 when it may now. */
  heldOffMs(address: string | undefined, credentialId?: string): number {
    const byAddress =
      address === undefined ? 0 : this.heldOff(`a:${addressKey(address)}`, this.limits.perAddress);
    const byCredential =
      credentialId === undefined ? 0 : this.heldOff(`c:${credentialId}`, this.limits.perCredential);
    return Math.max(byAddress, byCredential);
  }

  /** Counts one refusal against the address, when given, and the credential, when known. */
  refused(address: string | undefined, credentialId?: string): void {
    if (address !== undefined) this.count(`a:${addressKey(address)}`);
    if (credentialId !== undefined) this.count(`c:${credentialId}`);
  }

  /** How many addresses and credentials are tracked now. */
  get tracked(): number {
    return this.windows.size;
  }

  private heldOff(key: string, limit: number): number {
    const w = this.windows.get(key);
    if (!w) return 0;
    const endsMs = w.startedMs + this.limits.windowMs;
    const nowMs = this.now();
    if (nowMs >= endsMs) {
      this.windows.delete(key);
      return 0;
    }
    return w.failures >= limit ? endsMs - nowMs : 0;
  }

  private count(key: string): void {
    const nowMs = this.now();
    const w = this.windows.get(key);
    if (w && nowMs < w.startedMs + this.limits.windowMs) {
      w.failures++;
      return;
    }
    // A new window goes to the end of the map's order, so the oldest windows are first to be forgotten.
    this.windows.delete(key);
    for (const oldest of this.windows.keys()) {
      if (this.windows.size < this.maxTracked) break;
      this.windows.delete(oldest);
    }
    this.windows.set(key, { startedMs: nowMs, failures: 1 });
  }
}

/**
 * What one caller's address is counted as: an IPv4 address itself (also when written IPv4-mapped), an IPv6
 * address by its /64 network. A single IPv6 host is routinely given a whole /64 and may send from any address
 * in it, so counting addresses one by one would let it guess tokens without ever being held off.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head, tail = ''] = address.toLowerCase().split('%')[0].split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
