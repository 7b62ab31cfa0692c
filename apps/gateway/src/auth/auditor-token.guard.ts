import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { MsxError } from '#contracts';
import { contextOf, type MsxRequest } from '../http/request-context.js';
import { GatewayTokens } from './gateway-tokens.js';

/** Admits an auditor by bearer token; a node's token never reaches the audit trail. */
@Injectable()
export class AuditorTokenGuard implements CanActivate {
  constructor(private readonly tokens: GatewayTokens) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<MsxRequest>();
    const holder = this.tokens.holderOf(req, 'auditor');
    if (holder.kind !== 'auditor')
      throw new MsxError('GATEWAY.FORBIDDEN', 'only auditors may read the audit trail; use an auditor token');
    contextOf(req).auditor = holder.id;
    return true;
  }
}
