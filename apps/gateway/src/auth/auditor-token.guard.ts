import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { contextOf, type MsxRequest } from '../http/request-context.js';
import { GatewayTokens } from './gateway-tokens.js';

/** Admits an auditor by their credential; no other role reads the audit trail. */
@Injectable()
export class AuditorTokenGuard implements CanActivate {
  constructor(private readonly tokens: GatewayTokens) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<MsxRequest>();
    const holder = await this.tokens.authenticate(
      req,
      ['auditor'],
      (role) =>
        `only auditors may read the audit trail, not an ${role} credential; use an auditor credential`,
    );
    const ctx = contextOf(req);
    ctx.auditor = holder.person;
    ctx.credentialId = holder.credentialId;
    return true;
  }
}
