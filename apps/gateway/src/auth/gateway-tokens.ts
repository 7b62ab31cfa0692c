import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { MsxError } from '#contracts';
import type { GatewayConfig } from '../gateway.config.js';
import { GATEWAY_CONFIG } from '../gateway.tokens.js';
import type { MsxRequest } from '../http/request-context.js';

/** Who a bearer token belongs to: a node (may submit) or an auditor (may read the audit trail). */
export type TokenHolder = { kind: 'node'; id: string } | { kind: 'auditor'; id: string };

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Every bearer token the gateway knows. Tokens are compared as SHA-256 digests in constant time, and every
 * known token is compared on every request, so neither content, length nor kind leaks through timing.
 */
@Injectable()
export class GatewayTokens {
  private readonly tokens: (TokenHolder & { digest: Buffer })[];

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.tokens = [
      ...[...config.MSX_GATEWAY_TOKENS].map(([id, token]) => ({
        kind: 'node' as const,
        id,
        digest: digest(token),
      })),
      ...[...config.MSX_AUDITOR_TOKENS].map(([id, token]) => ({
        kind: 'auditor' as const,
        id,
        digest: digest(token),
      })),
    ];
  }

  /**
   * The holder of the request's bearer token.
   * @throws MsxError `GATEWAY.UNAUTHENTICATED` without a known token
   */
  holderOf(req: MsxRequest, expected: TokenHolder['kind']): TokenHolder {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    if (!match)
      throw new MsxError('GATEWAY.UNAUTHENTICATED', `send "Authorization: Bearer <${expected} token>"`);
    const presented = digest(match[1]);
    let holder: TokenHolder | undefined;
    for (const t of this.tokens)
      if (timingSafeEqual(t.digest, presented)) holder = { kind: t.kind, id: t.id };
    if (!holder) throw new MsxError('GATEWAY.UNAUTHENTICATED', 'the bearer token is not valid');
    return holder;
  }
}
