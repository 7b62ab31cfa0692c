import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { MsxError } from '#contracts';
import type { GatewayConfig } from '../gateway.config.js';
import { GATEWAY_CONFIG } from '../gateway.tokens.js';
import { contextOf, type MsxRequest } from '../http/request-context.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Authenticates a node by its bearer token. Tokens are compared as SHA-256 digests in constant time, so
 * neither their content nor their length leaks through timing.
 */
@Injectable()
export class NodeTokenGuard implements CanActivate {
  private readonly tokens: { node: string; digest: Buffer }[];

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.tokens = [...config.MSX_GATEWAY_TOKENS].map(([node, token]) => ({ node, digest: digest(token) }));
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<MsxRequest>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    if (!match) throw new MsxError('GATEWAY.UNAUTHENTICATED', 'send "Authorization: Bearer <node token>"');
    const presented = digest(match[1]);
    let node: string | undefined;
    for (const t of this.tokens) if (timingSafeEqual(t.digest, presented)) node = t.node;
    if (!node) throw new MsxError('GATEWAY.UNAUTHENTICATED', 'the bearer token is not valid');
    contextOf(req).node = node;
    return true;
  }
}
