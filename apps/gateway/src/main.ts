import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { gatewayAdapter } from './gateway-adapter.js';
import { createLogger, exitIfCheckingConfig, runMain, watchShutdown } from '#runtime';
import { loadGatewayConfig } from './gateway.config.js';
import { GatewayModule } from './gateway.module.js';
import { GATEWAY_NODE } from '#contracts';

/** The HTTP gateway: liaison officers and analysts submit intelligence on behalf of their node. */
runMain(async () => {
  const config = loadGatewayConfig();
  exitIfCheckingConfig('gateway');
  const logger = createLogger(config.MSX_LOG_LEVEL, GATEWAY_NODE);
  if (config.MSX_GATEWAY_TOKENS.size === 0)
    logger.warn('MSX_GATEWAY_TOKENS is empty: every request will be refused');
  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot(config),
    gatewayAdapter(config),
    { logger, rawBody: true },
  );
  app.enableShutdownHooks();
  watchShutdown(logger);
  await app.listen(config.MSX_GATEWAY_PORT, config.MSX_GATEWAY_HOST);
  logger.log(`gateway ready on ${await app.getUrl()}`, 'Bootstrap');
});
