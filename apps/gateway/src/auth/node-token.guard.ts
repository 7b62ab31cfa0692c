import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { contextOf, type MsxRequest } from '../http/request-context.js';
import { GatewayTokens } from './gateway-tokens.js';

/**
 * Admits an officer with a credential of their own, or a node's system: the request acts for the node the
 * credential is bound to, and for an officer's credential as that officer. Auditors and administrators may
 * not submit or read intelligence.
 */
/** The roles that act for a node: an officer's own credential, or the node's system credential. */
export const NODE_ROLES = ['officer', 'system'] as const;

/** Why another role may not. */
export const nodeRoleRefusal = (role: string) =>
  `an ${role} credential may not submit or read intelligence; use an officer's or a node's system credential`;

@Injectable()
export class NodeTokenGuard implements CanActivate {
  constructor(private readonly tokens: GatewayTokens) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<MsxRequest>();
    const holder = await this.tokens.authenticate(req, NODE_ROLES, nodeRoleRefusal);
    const ctx = contextOf(req);
    ctx.node = holder.node;
    ctx.credentialId = holder.credentialId;
    if (holder.role === 'officer') ctx.officer = holder.person;
    return true;
  }
}
