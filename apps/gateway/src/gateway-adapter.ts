import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { GatewayConfig } from './gateway.config.js';

/**
 * The HTTP server of the gateway with its limits: the largest body here; the time a body may take to
 * arrive in RequestDeadline.
 */
export function gatewayAdapter(config: GatewayConfig): FastifyAdapter {
  const proxies = config.MSX_GATEWAY_TRUSTED_PROXIES;
  return new FastifyAdapter({
    bodyLimit: config.MSX_GATEWAY_BODY_LIMIT_BYTES,
    // The caller's address (counted for refusals, recorded with them) is the proxy's unless it is trusted.
    ...(proxies.length > 0 ? { trustProxy: proxies } : {}),
  });
}
