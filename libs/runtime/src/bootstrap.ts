import { ConsoleLogger, Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { natsAuthOptions, type BusCredentials, type BusLogger } from '#messaging';
import { startIdleMemory } from './idle-memory.js';
import { watchShutdown } from './shutdown.js';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** A Nest logger that prints `level` and everything more severe. */
export function createLogger(level: LogLevel, prefix: string): ConsoleLogger {
  return new ConsoleLogger({
    prefix,
    logLevels: LEVELS.slice(0, LEVELS.indexOf(level) + 1),
    colors: Boolean(process.stdout.isTTY),
  });
}

/** Adapts a Nest logger to the messaging library's logger port. */
export function busLogger(context: string): BusLogger {
  const logger = new Logger(context);
  return { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) };
}

export interface MicroserviceBootOptions {
  /** NATS URL(s) for the request/reply transport. */
  servers: string;
  /** Service name for logs, for example `router` or `cp-it`. */
  name: string;
  logLevel: LogLevel;
  /** Credentials, when the broker requires them. */
  credentials?: BusCredentials;
}

/**
 * `--check-config` (used by `npm start` before it starts anything): once the service has read and validated
 * its configuration, it says so and exits 0 instead of starting. A bad setting has already thrown by then,
 * and {@link runMain} prints it and exits 1.
 */
export function exitIfCheckingConfig(name: string): void {
  if (!process.argv.includes('--check-config')) return;
  process.stdout.write(`${name}: configuration OK\n`);
  process.exit(0);
}

/**
 * Starts a NestJS microservice on the NATS transport (request/reply: health, queries) and shuts it down
 * cleanly on SIGTERM/SIGINT. Workers start in their `onApplicationBootstrap` hooks.
 */
export async function bootMicroservice(module: unknown, opts: MicroserviceBootOptions): Promise<void> {
  exitIfCheckingConfig(opts.name);
  const logger = createLogger(opts.logLevel, `msx-${opts.name}`);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(module as never, {
    transport: Transport.NATS,
    options: {
      servers: opts.servers.split(',').map((s) => s.trim()),
      name: `msx-${opts.name}-rpc`,
      ...natsAuthOptions(opts.credentials),
    },
    logger,
  });
  app.enableShutdownHooks();
  watchShutdown(logger);
  await app.listen();
  logger.log(`${opts.name} ready`, 'Bootstrap');
}

/**
 * Runs `main`, printing a fatal error (configuration, unreachable bus) and exiting non-zero. Once it has
 * started, the service gives memory back whenever it falls idle after work ({@link startIdleMemory}).
 */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => startIdleMemory(),
    (err: unknown) => {
      const e = err as Error;
      // Configuration and directory errors already name every problem; print them as they are.
      process.stderr.write(`fatal: ${e.message}\n`);
      process.exit(1);
    },
  );
}
