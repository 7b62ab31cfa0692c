/**
 * The baseline of the gateway figure: a bare HTTP JSON echo on the same framework as the gateway (NestJS
 * with Fastify), as a process of its own like the gateway. Listens on 127.0.0.1:BENCH_ECHO_PORT and prints
 * `echo ready` when it accepts requests.
 */
import 'reflect-metadata';
import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

@Controller('v1/echo')
class EchoController {
  @Post()
  @HttpCode(202)
  echo(@Body() body: unknown): unknown {
    return body;
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(
    EchoModule,
    new FastifyAdapter({ bodyLimit: 512 * 1024 }),
    { logger: ['error', 'warn'] },
  );
  app.enableShutdownHooks();
  await app.listen(Number(process.env.BENCH_ECHO_PORT), '127.0.0.1');
  process.stdout.write('echo ready\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`echo server failed: ${String(err)}\n`);
  process.exit(1);
});
