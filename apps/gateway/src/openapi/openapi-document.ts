import { ModulesContainer, NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { gatewayAdapter } from '../gateway-adapter.js';
import { gatewaySpec, type GatewayConfig } from '../gateway.config.js';
import { GatewayModule } from '../gateway.module.js';
import { describeGateway } from './describe-gateway.js';

/**
 * A configuration to describe the gateway with, read from nothing: every variable's default, or undefined
 * where it has none (the router key file among them). Describing instantiates nothing that would use it.
 */
function describingConfig(): GatewayConfig {
  const config: Record<string, unknown> = {};
  for (const [name, parse] of Object.entries(gatewaySpec)) {
    try {
      config[name] = (parse as (raw: undefined, name: string) => unknown)(undefined, name);
    } catch {
      config[name] = undefined;
    }
  }
  return config as GatewayConfig;
}

/**
 * The API description without a running gateway: the gateway's module in Nest's preview mode, which scans
 * modules and controllers but instantiates no provider, so nothing connects to NATS or PostgreSQL. Used by
 * `npm run openapi` and by the test that compares `docs/openapi.json` with the code.
 *
 * Nest's preview prints notices ("running in the PREVIEW mode") through Nest's logger, which is global: a
 * process that wants quiet sets that logger itself. For that reason the running gateway does not call this,
 * but describes its own modules with the same describeGateway (DocsController).
 */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  const config = describingConfig();
  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot(config),
    gatewayAdapter(config),
    { preview: true, abortOnError: false },
  );
  try {
    return describeGateway(app.get(ModulesContainer), app.getHttpAdapter());
  } finally {
    // Not app.close(): its shutdown hooks would run on providers that were never made.
    await app.getHttpAdapter().close();
  }
}
