import {
  ConfigError,
  databaseSpec,
  int,
  loadConfig,
  logSpec,
  natsSpec,
  nodeTokens,
  opsSpec,
  optionalStr,
  str,
  type Parser,
} from '#config';
import { isIP } from 'node:net';
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

/**
 * The reverse proxies whose `X-Forwarded-For` is believed: `10.0.0.5,10.0.1.0/24`. Without them every caller
 * behind a proxy has the proxy's address, and refusals are counted for all of them together.
 */
function trustedProxies(): Parser<string[]> {
  return (raw) => {
    if (raw === undefined || raw.trim() === '') return [];
    return raw.split(',').map((entry, i) => {
      const item = entry.trim();
      const [address, bits, ...rest] = item.split('/');
      const family = isIP(address);
      const maxBits = family === 6 ? 128 : 32;
      if (
        family === 0 ||
        rest.length > 0 ||
        (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > maxBits))
      )
        throw new Error(`entry ${i + 1} must be an IP address or a CIDR range such as 10.0.1.0/24`);
      return item;
    });
  };
}

export const gatewaySpec = {
  ...natsSpec,
  ...logSpec,
  ...auditGateSpec,
  // The credentials administrators issue live beside the audit store, in a schema of their own.
  ...databaseSpec,
  /** Schema of the issued credentials; `<MSX_DATABASE_SCHEMA>_credentials` when unset. */
  MSX_CREDENTIALS_SCHEMA: optionalStr(),
  /** How long a credential found is trusted without asking the database again: the delay of a revocation. */
  MSX_CREDENTIAL_CACHE_MS: int(2_000, 0, 10_000),
  /** Refused requests per address, and per credential, within a window before the caller is held off (429). */
  MSX_GATEWAY_FAILURE_LIMIT: int(20, 1, 100_000),
  /** The window of MSX_GATEWAY_FAILURE_LIMIT, and of the audit trail's summary of repeated refusals. */
  MSX_GATEWAY_FAILURE_WINDOW_MS: int(60_000, 1_000, 3_600_000),
  /**
   * Previews one person (or one node's systems) may ask for within MSX_GATEWAY_PREVIEW_WINDOW_MS before
   * being answered 429: a preview shares nothing, so unbounded it would map the sharing rules for free.
   */
  MSX_GATEWAY_PREVIEW_LIMIT: int(60, 1, 100_000),
  MSX_GATEWAY_PREVIEW_WINDOW_MS: int(60_000, 1_000, 3_600_000),
  // The inbox read shows, per item, whether the router vouched for it: the router key is pinned here too.
  ...routerKeySpec,
  /** Interface to listen on; loopback unless a reverse proxy in front terminates TLS. */
  MSX_GATEWAY_HOST: str('127.0.0.1'),
  /** Reverse proxies in front, whose X-Forwarded-For names the caller (see trustedProxies). */
  MSX_GATEWAY_TRUSTED_PROXIES: trustedProxies(),
  MSX_GATEWAY_PORT: int(8080, 0, 65_535),
  // Its metrics are served on the operations listener only, never on the public port: flow counts are
  // metadata that whoever reaches the public port must not read.
  ...opsSpec,
  /**
   * One system token per node, for agency systems: `emlo-ne=<token>,cp-it=<token>`; each at least 32
   * characters. People use credentials of their own (`npm run admin -- issue`).
   */
  MSX_GATEWAY_TOKENS: nodeTokens(),
  /**
   * Configured auditor tokens, `edps.auditor-1=<token>`, each at least 32 characters; they do not expire, so
   * prefer auditor credentials issued with `npm run admin -- issue --role auditor`.
   */
  MSX_AUDITOR_TOKENS: auditorTokens(),
  /** Largest request body, in bytes. */
  MSX_GATEWAY_BODY_LIMIT_BYTES: int(512 * 1024, 1024, 16 * 1024 * 1024),
  /** Longest a request body may take to arrive whole, in milliseconds: a slow sender is answered 408. */
  MSX_GATEWAY_REQUEST_TIMEOUT_MS: int(30_000, 1_000, 600_000),
  /**
   * How long a stopping gateway lets the requests under way finish, in milliseconds, before it closes every
   * connection still open.
   */
  MSX_GATEWAY_SHUTDOWN_GRACE_MS: int(5_000, 0, 120_000),
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
