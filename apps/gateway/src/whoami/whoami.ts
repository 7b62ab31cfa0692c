import type { CredentialRole } from '#identity';
import type { TokenHolder } from '../auth/gateway-tokens.js';

/** Who a credential is, as `GET /v1/me` answers: nothing but what the caller's own credential says. */
export interface Whoami {
  /** The person it was issued to; null for a node's system credential. */
  person: string | null;
  /** The node (or, for auditors and administrators, the organisation) it is bound to. */
  node: string | null;
  role: CredentialRole;
  /** RFC 3339; null for a configured token, which does not expire. */
  expiresAt: string | null;
}

/** The answer of `GET /v1/me` for the holder of a credential. */
export function whoamiOf(holder: TokenHolder): Whoami {
  return {
    person: holder.person ?? null,
    node: holder.node === '' ? null : holder.node,
    role: holder.role,
    expiresAt: holder.expiresAt?.toISOString() ?? null,
  };
}
