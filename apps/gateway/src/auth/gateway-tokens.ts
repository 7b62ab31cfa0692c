import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { MsxError } from '#contracts';
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
}

/** Refused for too many refusals: answered 429 with Retry-After. */
export class RateLimitedError extends MsxError {
  constructor(readonly retryAfterS: number) {
    super(
      'GATEWAY.RATE_LIMITED',
      `too many refused requests from this address or with this credential; retry after ${retryAfterS} s`,
    );
    this.name = 'RateLimitedError';
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
export class GatewayTokens implements OnModuleDestroy {
  private readonly configured: (TokenHolder & { digest: Buffer })[];
  private readonly cache = new Map<string, { credential: Credential; untilMs: number }>();
  readonly limiter: FailureLimiter;

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

  async onModuleDestroy(): Promise<void> {
    await this.store.close();
  }

  /**
   * The holder of the request's bearer token, admitted only in one of `roles`.
   * @throws RateLimitedError (429) while the address or credential is held off, before the token is checked
   * @throws MsxError `GATEWAY.UNAUTHENTICATED` (401) for a missing, unknown, expired or revoked token;
   *   `GATEWAY.FORBIDDEN` (403) for a role not in `roles`; `GATEWAY.CREDENTIALS_UNAVAILABLE` (503)
   */
  async authenticate(
    req: MsxRequest,
    roles: readonly CredentialRole[],
    forbidden: (role: CredentialRole) => string,
  ): Promise<TokenHolder> {
    const address = req.ip;
    this.holdOff(address);
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) {
      this.limiter.refused(address);
      throw new MsxError(
        'GATEWAY.UNAUTHENTICATED',
        `send "Authorization: Bearer <token>" (${roles.join(' or ')})`,
      );
    }
    const digest = tokenDigest(match[1]);
    const holder = this.configuredHolder(digest) ?? (await this.issuedHolder(req, digest));
    if (!holder) {
      this.limiter.refused(address);
      throw new MsxError('GATEWAY.UNAUTHENTICATED', 'the bearer token is not valid');
    }
    const credential = holder.credentialId ?? `${holder.role}:${holder.person ?? holder.node}`;
    this.holdOff(address, credential);
    if (!roles.includes(holder.role)) {
      // A known credential calling what its role may not: counted against the credential, not the address,
      // which others may share.
      this.limiter.refused(undefined, credential);
      throw new MsxError('GATEWAY.FORBIDDEN', forbidden(holder.role));
    }
    return holder;
  }

  private holdOff(address: string, credentialId?: string): void {
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
    this.holdOff(req.ip, c.id);
    const refusal = refusalOf(c, nowMs);
    if (refusal) {
      this.limiter.refused(req.ip, c.id);
      throw new MsxError('GATEWAY.UNAUTHENTICATED', refusal);
    }
    return { role: c.role, node: c.node, person: c.person, credentialId: c.id };
  }
}
