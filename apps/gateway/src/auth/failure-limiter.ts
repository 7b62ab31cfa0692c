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
    const byAddress = address === undefined ? 0 : this.heldOff(`a:${address}`, this.limits.perAddress);
    const byCredential =
      credentialId === undefined ? 0 : this.heldOff(`c:${credentialId}`, this.limits.perCredential);
    return Math.max(byAddress, byCredential);
  }

  /** Counts one refusal against the address, when given, and the credential, when known. */
  refused(address: string | undefined, credentialId?: string): void {
    if (address !== undefined) this.count(`a:${address}`);
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
