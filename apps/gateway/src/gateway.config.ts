import { ConfigError, int, loadConfig, logSpec, natsSpec, nodeTokens, str, type Parser } from '#config';
import { isOfficerId } from '#contracts';
import { auditGateSpec, routerKeySpec } from '#runtime';

/**
 * Auditor bearer tokens, one per person: `edps.auditor-1=<token>,dpo.cp-it=<token>`. Tokens are secrets: at
 * least 32 characters, never echoed back in errors.
 */
function auditorTokens(): Parser<Map<string, string>> {
  return (raw) => {
    const out = new Map<string, string>();
    if (raw === undefined || raw.trim() === '') return out;
    for (const [i, pair] of raw.split(',').entries()) {
      const eq = pair.indexOf('=');
      const person = pair.slice(0, eq).trim();
      const token = pair.slice(eq + 1).trim();
      if (eq < 1 || !isOfficerId(person))
        throw new Error(`entry ${i + 1} must be person=token with an auditor id before "="`);
      if (token.length < 32) throw new Error(`token for ${person} must be at least 32 characters`);
      if (out.has(person)) throw new Error(`auditor ${person} appears twice`);
      out.set(person, token);
    }
    return out;
  };
}

export const gatewaySpec = {
  ...natsSpec,
  ...logSpec,
  ...auditGateSpec,
  // The inbox read shows, per item, whether the router vouched for it: the router key is pinned here too.
  ...routerKeySpec,
  /** Interface to listen on; loopback unless a reverse proxy in front terminates TLS. */
  MSX_GATEWAY_HOST: str('127.0.0.1'),
  MSX_GATEWAY_PORT: int(8080, 0, 65_535),
  /** One bearer token per node: `emlo-ne=<token>,cp-it=<token>`; each at least 32 characters. */
  MSX_GATEWAY_TOKENS: nodeTokens(),
  /** One bearer token per auditor: `edps.auditor-1=<token>`; each at least 32 characters; read-only access. */
  MSX_AUDITOR_TOKENS: auditorTokens(),
  /** Largest request body, in bytes. */
  MSX_GATEWAY_BODY_LIMIT_BYTES: int(512 * 1024, 1024, 16 * 1024 * 1024),
};

/** Validates the gateway's configuration; a token may serve a node or an auditor, never both. */
export function loadGatewayConfig(env?: NodeJS.ProcessEnv) {
  const config = loadConfig(gatewaySpec, env);
  const nodeTokenSet = new Set(config.MSX_GATEWAY_TOKENS.values());
  const shared = [...config.MSX_AUDITOR_TOKENS].filter(([, token]) => nodeTokenSet.has(token));
  if (shared.length > 0) {
    throw new ConfigError(
      shared.map(([person]) => `MSX_AUDITOR_TOKENS: the token of ${person} is also a node token`),
    );
  }
  return config;
}
export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
