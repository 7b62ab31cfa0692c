import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '#config';
import { encodeAuditStatus, newAuditStatus } from '#contracts';
import {
  auditConsumer,
  auditStream,
  connectBus,
  ensureConsumer,
  ensureStream,
  Subjects,
  type Bus,
} from '#messaging';
import {
  createTestSchema,
  freePort,
  startNatsServer,
  waitFor,
  type TestNatsServer,
  type TestSchema,
} from '#testing';
import { gatewayAdapter } from './gateway-adapter.js';
import { gatewaySpec } from './gateway.config.js';
import { GatewayModule } from './gateway.module.js';

const TOKEN = 'emlo-ne-test-token-0123456789abcdef';

/**
 * The gateway's metrics are on its operations listener only: its public port keeps /healthz and /readyz for
 * load balancers and serves no metrics to anyone who can reach it. The audit service is played by the test,
 * so the audit gate opens, and closes when it falls silent.
 */
describe("the gateway's operations listener", () => {
  let nats: TestNatsServer;
  let bus: Bus;
  let db: TestSchema;
  let app: NestFastifyApplication;
  let keyDir: string;
  let publicBase: string;
  let opsBase: string;
  let auditHeard = true;
  let heartbeat: NodeJS.Timeout;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'gateway-ops-test' });
    await ensureStream(bus.jsm, auditStream());
    await ensureConsumer(bus.jsm, auditConsumer());
    const status = () => encodeAuditStatus(newAuditStatus({ databaseReachable: true, atMs: Date.now() }));
    bus.nc.subscribe(Subjects.auditStatusRequest, {
      callback: (_err, msg) => {
        if (auditHeard) msg.respond(status());
      },
    });
    heartbeat = setInterval(() => {
      if (auditHeard && !bus.nc.isClosed()) bus.nc.publish(Subjects.auditStatus, status());
    }, 500);
    keyDir = mkdtempSync(join(tmpdir(), 'msx-gateway-ops-'));
    const routerKeyFile = join(keyDir, 'router.pub.pem');
    const { publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(routerKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    db = await createTestSchema('gateway_ops');
    const opsPort = await freePort();
    const config = loadConfig(gatewaySpec, {
      MSX_NATS_URL: nats.url,
      MSX_DATABASE_URL: db.url,
      MSX_DATABASE_SCHEMA: db.schema,
      MSX_ROUTER_KEY_FILE: routerKeyFile,
      MSX_GATEWAY_TOKENS: `emlo-ne=${TOKEN}`,
      MSX_AUDIT_HEARTBEAT_TIMEOUT_MS: '1500',
      MSX_OPS_PORT: String(opsPort),
      MSX_LOG_LEVEL: 'error',
    });
    app = await NestFactory.create<NestFastifyApplication>(
      GatewayModule.forRoot(config),
      gatewayAdapter(config),
      {
        logger: ['error'],
        rawBody: true,
        abortOnError: false,
      },
    );
    await app.listen(0, '127.0.0.1');
    publicBase = await app.getUrl();
    opsBase = `http://127.0.0.1:${opsPort}`;
  });

  afterAll(async () => {
    clearInterval(heartbeat);
    await app?.close();
    await bus?.close();
    await nats?.dispose();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
    await db?.drop();
  });

  const failClosed = async () =>
    /^msx_fail_closed\{service="gateway"\} (\d)$/m.exec(
      await (await fetch(`${opsBase}/metrics`)).text(),
    )?.[1];

  it('serves no metrics on its public port, with or without a credential', async () => {
    const asked: Record<string, string>[] = [{}, { authorization: `Bearer ${TOKEN}` }];
    for (const headers of asked) {
      const res = await fetch(`${publicBase}/metrics`, { headers });
      expect(res.status).not.toBe(200);
      expect(await res.text()).not.toMatch(/msx_|process_|nodejs_/);
    }
    // The load balancers' probes stay where they were.
    expect((await fetch(`${publicBase}/healthz`)).status).toBe(200);
    expect((await fetch(`${publicBase}/readyz`)).status).toBe(200);
  });

  it('is ready on its operations listener when NATS and the credentials database answer', async () => {
    const res = await fetch(`${opsBase}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { nats: 'ok', database: 'ok' } });
  });

  it('shows the audit gate closed while the audit service is silent, and open again once heard', async () => {
    expect(await failClosed()).toBe('0');
    auditHeard = false;
    try {
      await waitFor(
        async () => ((await failClosed()) === '1' ? true : undefined),
        'the gate to close',
        10_000,
      );
    } finally {
      auditHeard = true;
    }
    await waitFor(async () => ((await failClosed()) === '0' ? true : undefined), 'the gate to open', 10_000);
  });
});
