import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { MsxError } from '#contracts';
import { contextOf, type MsxRequest } from '../http/request-context.js';
import { GatewayTokens } from './gateway-tokens.js';

/** Admits a node by its bearer token; an auditor's token may read the audit trail, never submit. */
@Injectable()
export class NodeTokenGuard implements CanActivate {
  constructor(private readonly tokens: GatewayTokens) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<MsxRequest>();
    const holder = this.tokens.holderOf(req, 'node');
    if (holder.kind !== 'node')
      throw new MsxError('GATEWAY.FORBIDDEN', 'an auditor token may not submit messages; use a node token');
    contextOf(req).node = holder.id;
    return true;
  }
}
