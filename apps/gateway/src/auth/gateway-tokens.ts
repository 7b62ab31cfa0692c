import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { MsxError } from '#contracts';
import { stopping } from '#runtime';
import { CredentialStore, refusalOf, tokenDigest, type Credential, type CredentialRole } from '#identity';
import type { GatewayConfig } from '../gateway.config.js';
import { GATEWAY_CONFIG } from '../gateway.tokens.js';
import { contextOf, type MsxRequest } from '../http/request-context.js';
import { FailureLimiter } from './failure-limiter.js';

/**
 * Who a bearer token belongs to: a role, the node it is bound to, and for a credential an administrator
 * issued, the person and the credential. A node token from the configuration is a system credential of
 * its node; an auditor token from the configuration is that auditor's.
 */
export interface TokenHolder {
  role: CredentialRole;
  node: string;
  /** The person it was issued to (for a configured node token: none). */
  person?: string;
  /** The issued credential's id (for a configured token: none). */
  credentialId?: string;
  /** When the issued credential expires (a configured token does not). */
  expiresAt?: Date;
}

/** Held off (too many refusals, or too many previews): answered 429 with Retry-After. */
export class RateLimitedError extends MsxError {
  constructor(
    readonly retryAfterS: number,
    why = 'too many refused requests from this address or with this credential',
  ) {
    super('GATEWAY.RATE_LIMITED', `${why}; retry after ${retryAfterS} s`);
    this.name = 'RateLimitedError';
  }
}

/** How long a credential seen valid is looked up even from an address held off. */
const RECENTLY_VALID_MS = 15 * 60_000;

/** Keys seen within a time, at most `max` of them (the oldest forgotten first). */
class RecentSet {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly withinMs: number,
    private readonly max: number,
  ) {}

  has(key: string): boolean {
    const at = this.seen.get(key);
    return at !== undefined && Date.now() - at < this.withinMs;
  }

  set(key: string): void {
    this.seen.delete(key);
    for (const oldest of this.seen.keys()) {
      if (this.seen.size < this.max) break;
      this.seen.delete(oldest);
    }
    this.seen.set(key, Date.now());
  }

  delete(key: string): void {
    this.seen.delete(key);
  }
}

/** What a bearer header looks like: visible ASCII, at most 512 characters. */
const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/**
 * Authenticates bearer tokens: the configured node and auditor tokens (compared as SHA-256 digests in
 * constant time, every one on every request) and the credentials administrators issue (looked up by digest;
 * a credential found is kept for `MSX_CREDENTIAL_CACHE_MS`, so a revocation takes effect within that time).
 * Refusals are counted per address and credential; past the limit the caller is held off (429).
 */
@Injectable()
export class GatewayTokens implements OnApplicationShutdown {
  private readonly configured: (TokenHolder & { digest: Buffer })[];
  private readonly cache = new Map<string, { credential: Credential; untilMs: number }>();
  /** Digests of credentials valid when last seen: these are looked up even from an address held off. */
  private readonly recentlyValid = new RecentSet(RECENTLY_VALID_MS, 10_000);
  private readonly limiter: FailureLimiter;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly store: CredentialStore,
  ) {
    this.configured = [
      ...[...config.MSX_GATEWAY_TOKENS].map(([node, token]) => ({
        role: 'system' as const,
        node,
        digest: tokenDigest(token),
      })),
      ...[...config.MSX_AUDITOR_TOKENS].map(([person, token]) => ({
        role: 'auditor' as const,
        node: person.includes('.') ? person.slice(0, person.indexOf('.')) : person,
        person,
        digest: tokenDigest(token),
      })),
    ];
    this.limiter = new FailureLimiter({
      perAddress: config.MSX_GATEWAY_FAILURE_LIMIT,
      perCredential: config.MSX_GATEWAY_FAILURE_LIMIT,
      windowMs: config.MSX_GATEWAY_FAILURE_WINDOW_MS,
    });
  }

  /** After the HTTP server has closed: the requests it answered while stopping still had their credentials. */
  async onApplicationShutdown(): Promise<void> {
    await stopping('credential store', () => this.store.close());
  }

  /**
   * The holder of the request's bearer token, admitted only in one of `roles`. A valid credential is never
   * refused for its address: an address held off for refusals (its callers guessed or replayed tokens) is
   * answered 429 only for tokens that are not known to be valid, before the database is asked about them, so
   * strangers sharing a proxy or a NAT with an officer cannot lock the officer out.
   * @throws RateLimitedError (429) while the address is held off (for a token not known to be valid) or the
   *   credential is held off
   * @throws MsxError `GATEWAY.UNAUTHENTICATED` (401) for a missing, unknown, expired or revoked token;
   *   `GATEWAY.FORBIDDEN` (403) for a role not in `roles`; `GATEWAY.CREDENTIALS_UNAVAILABLE` (503)
   */
  async authenticate(
    req: MsxRequest,
    roles: readonly CredentialRole[],
    forbidden: (role: CredentialRole) => string,
  ): Promise<TokenHolder> {
    const holder = await this.identify(req);
    if (!roles.includes(holder.role)) {
      // An issued credential calling what its role may not is counted against it, never against the
      // address, which others may share; a node's system token is shared by its systems and not counted.
      if (holder.credentialId !== undefined) this.limiter.refused(undefined, holder.credentialId);
      throw new MsxError('GATEWAY.FORBIDDEN', forbidden(holder.role));
    }
    return holder;
  }

  /**
   * The holder of the request's bearer token, whatever its role; found once per request (AuthenticateFirst
   * asks before the body is read, the guard again for the role).
   * @throws as {@link authenticate}, but never `GATEWAY.FORBIDDEN`
   */
  async identify(req: MsxRequest): Promise<TokenHolder> {
    const ctx = contextOf(req);
    if (ctx.holder) return ctx.holder;
    const address = req.ip;
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) {
      this.holdOff(address);
      this.limiter.refused(address);
      throw new MsxError('GATEWAY.UNAUTHENTICATED', 'send "Authorization: Bearer <token>"');
    }
    const digest = tokenDigest(match[1]);
    const holder = this.configuredHolder(digest) ?? (await this.issuedHolder(req, digest));
    if (!holder) {
      this.limiter.refused(address);
      throw new MsxError('GATEWAY.UNAUTHENTICATED', 'the bearer token is not valid');
    }
    ctx.holder = holder;
    return holder;
  }

  private holdOff(address: string | undefined, credentialId?: string): void {
    const ms = this.limiter.heldOffMs(address, credentialId);
    if (ms > 0) throw new RateLimitedError(Math.ceil(ms / 1000));
  }

  private configuredHolder(digest: Buffer): TokenHolder | undefined {
    let holder: TokenHolder | undefined;
    for (const t of this.configured)
      if (timingSafeEqual(t.digest, digest))
        holder = { role: t.role, node: t.node, ...(t.person ? { person: t.person } : {}) };
    return holder;
  }

  private async issuedHolder(req: MsxRequest, digest: Buffer): Promise<TokenHolder | undefined> {
    const key = digest.toString('hex');
    const nowMs = Date.now();
    let cached = this.cache.get(key);
    if (!cached || cached.untilMs <= nowMs) {
      this.cache.delete(key);
      // Unknown here: from an address held off, not worth a database query.
      if (!this.recentlyValid.has(key)) this.holdOff(req.ip);
      const credential = await this.store.byDigest(digest);
      if (!credential) return undefined;
      cached = { credential, untilMs: nowMs + this.config.MSX_CREDENTIAL_CACHE_MS };
      if (this.config.MSX_CREDENTIAL_CACHE_MS > 0) {
        if (this.cache.size >= 10_000) this.cache.clear();
        this.cache.set(key, cached);
      }
    }
    const c = cached.credential;
    contextOf(req).credentialId = c.id;
    this.holdOff(undefined, c.id);
    const refusal = refusalOf(c, nowMs);
    if (refusal) {
      this.recentlyValid.delete(key);
      this.limiter.refused(req.ip, c.id);
      throw new MsxError('GATEWAY.UNAUTHENTICATED', refusal);
    }
    this.recentlyValid.set(key);
    return { role: c.role, node: c.node, person: c.person, credentialId: c.id, expiresAt: c.expiresAt };
  }
}
