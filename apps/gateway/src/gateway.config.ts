import { int, loadConfig, logSpec, natsSpec, nodeTokens, str } from '#config';

export const gatewaySpec = {
  ...natsSpec,
  ...logSpec,
  /** Interface to listen on; loopback unless a reverse proxy in front terminates TLS. */
  MSX_GATEWAY_HOST: str('127.0.0.1'),
  MSX_GATEWAY_PORT: int(8080, 0, 65_535),
  /** One bearer token per node: `emlo-ne=<token>,cp-it=<token>`; each at least 32 characters. */
  MSX_GATEWAY_TOKENS: nodeTokens(),
  /** Largest request body, in bytes. */
  MSX_GATEWAY_BODY_LIMIT_BYTES: int(512 * 1024, 1024, 16 * 1024 * 1024),
};

export const loadGatewayConfig = () => loadConfig(gatewaySpec);
export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
