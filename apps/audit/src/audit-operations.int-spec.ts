import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { databaseSpec, loadConfig, logSpec, natsSpec, opsSpec } from '#config';
import { AuditOperation, nameBasedId, newAuditEvent, uuidv7 } from '#contracts';
import { auditConsumer, connectBus, publishAuditEvent, type Bus } from '#messaging';
import { OpsServer } from '#runtime';
import {
  createTestSchema,
  freePort,
  startNatsServer,
  waitFor,
  type TestNatsServer,
  type TestSchema,
} from '#testing';
import { checkpointSpec } from './audit.config.js';
import { AuditModule } from './audit.module.js';
import { RecordEventConsumer } from './record-event/record-event.consumer.js';

/**
 * The audit service as `main` runs it (a NATS microservice), with its operations listener on the port its
 * configuration names, on a private nats-server and a schema of its own: liveness, readiness (NATS, its
 * database, its consumer) and its metrics, scraped over HTTP as Prometheus would.
 */
describe("the audit service's operations listener", () => {
  let nats: TestNatsServer;
  let db: TestSchema;
  let bus: Bus;
  let audit: INestMicroservice;
  let keyDir: string;
  let base: string;

  beforeAll(async () => {
    nats = await startNatsServer();
    db = await createTestSchema('audit_ops');
    bus = await connectBus({ servers: nats.url, name: 'audit-ops-test' });
    keyDir = mkdtempSync(join(tmpdir(), 'msx-audit-ops-'));
    const keyFile = join(keyDir, 'audit-signing-key.pem');
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const port = await freePort();
    const config = loadConfig(
      { ...natsSpec, ...logSpec, ...databaseSpec, ...checkpointSpec, ...opsSpec },
      {
        MSX_NATS_URL: nats.url,
        MSX_DATABASE_URL: db.url,
        MSX_DATABASE_SCHEMA: db.schema,
        MSX_AUDIT_SIGNING_KEY_FILE: keyFile,
        MSX_OPS_PORT: String(port),
      },
    );
    audit = await NestFactory.createMicroservice<MicroserviceOptions>(AuditModule.forRoot(config), {
      transport: Transport.NATS,
      options: { servers: [nats.url] },
      logger: ['error'],
    });
    await audit.listen();
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await audit?.close();
    await bus?.close();
    await nats?.dispose();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
    await db?.drop();
  });

  const publishEvents = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const messageId = uuidv7();
      await publishAuditEvent(
        bus.js,
        'emlo-ne',
        newAuditEvent({
          eventId: nameBasedId(messageId, 'submitted'),
          operation: AuditOperation.SUBMITTED,
          actorNode: 'emlo-ne',
          actorPerson: 'emlo-ne.officer-17',
          messageId,
        }),
      );
    }
  };

  /** The value of `msx_audit_backlog` (NaN when unknown), or undefined when the scrape has no sample of it. */
  const backlog = async (): Promise<number | undefined> => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const m = /^msx_audit_backlog\{service="audit"\} (\S+)$/m.exec(await res.text());
    return m ? Number(m[1]) : undefined;
  };

  it('listens where its configuration says, on loopback', () => {
    expect(audit.get(OpsServer).url).toBe(base);
  });

  it('is alive, and ready when NATS, its database and its consumer answer', async () => {
    const alive = await fetch(`${base}/healthz`);
    expect(alive.status).toBe(200);
    expect(alive.headers.get('cache-control')).toBe('no-store');
    expect(await alive.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { nats: 'ok', database: 'ok', workers: 'ok' },
    });
  });

  it('exposes Prometheus metrics: the process, and a backlog that drains once the events are recorded', async () => {
    await publishEvents(3);
    await waitFor(async () => ((await backlog()) === 0 ? true : undefined), 'the backlog to drain');
    const recorded = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${db.schema}".audit_entry`);
    expect(Number(recorded[0].n)).toBeGreaterThanOrEqual(3);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^process_cpu_seconds_total\{service="audit"\} /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{service="audit"\} /m);
    expect(text).toMatch(/^# HELP msx_audit_backlog /m);
    // The audit service routes nothing and holds no audit gate.
    expect(text).not.toMatch(/msx_routed_total|msx_fail_closed/);
  });

  it('is alive but not ready while NATS is away, and shows the backlog as unknown, not stale', async () => {
    await nats.stop();
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'not ready',
        checks: { nats: 'unreachable', database: 'ok', workers: 'ok' },
      });
      expect(await backlog()).toBeNaN();
    } finally {
      await nats.start();
    }
    await waitFor(
      async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined),
      'ready again once NATS is back',
      30_000,
    );
  });

  it('counts the events waiting while its consumer is stopped, and is not ready then', async () => {
    await audit.get(RecordEventConsumer).onApplicationShutdown();
    // Stopped, the consumer leaves what it had in flight to be redelivered: wait until nothing is.
    await waitFor(async () => {
      const info = await bus.jsm.consumers.info(auditConsumer().stream, auditConsumer().durable);
      return info.num_ack_pending === 0 ? info : undefined;
    }, 'nothing in flight');
    const before = (await backlog()) ?? NaN;
    await publishEvents(4);
    expect(await backlog()).toBe(before + 4);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { workers: 'not running' } });
  });

  it('answers only its three paths, and only to GET', async () => {
    expect((await fetch(`${base}/v1/messages`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
