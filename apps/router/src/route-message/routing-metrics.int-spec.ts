import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AuditOperation,
  decodeAuditEvent,
  decodeAuditEventBatch,
  encodeAuditStatus,
  encodeEnvelope,
  envelopeFromJson,
  newAuditStatus,
  ROUTER_NODE,
  uuidv7,
  type AuditEvent,
  type Envelope,
} from '#contracts';
import { connectBus, Durables, Headers, publishDurably, Streams, Subjects, type Bus } from '#messaging';
import { OpsServer } from '#runtime';
import {
  asJson,
  freePort,
  startNatsServer,
  testDirectory,
  validModusOperandiReportEnvelope,
  validRouteReportEnvelope,
  waitFor,
  type TestNatsServer,
} from '#testing';
import { loadRouterConfig } from '../router.config.js';
import { RouterModule } from '../router.module.js';

/**
 * The router as `main` builds it (RouterModule, with its operations listener on a free port) on a private
 * nats-server: what it routes shows in `msx_routed_total`, series for series as in its audit rows, scraped
 * over HTTP. No audit service runs here: the test answers for it, so the audit gate opens.
 */
const directory = testDirectory();

/** The sample lines of one metric, as `labels → value`. */
function series(exposition: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of exposition.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm')))
    out.set(m[1], Number(m[2]));
  return out;
}

describe("the router's metrics", () => {
  let nats: TestNatsServer;
  let bus: Bus;
  let app: INestApplicationContext;
  let heartbeat: NodeJS.Timeout;
  let keyDir: string;
  let base: string;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'routing-metrics-test' });
    const status = () => encodeAuditStatus(newAuditStatus({ databaseReachable: true, atMs: Date.now() }));
    bus.nc.subscribe(Subjects.auditStatusRequest, {
      callback: (_err, msg) => {
        msg.respond(status());
      },
    });
    heartbeat = setInterval(() => {
      if (!bus.nc.isClosed()) bus.nc.publish(Subjects.auditStatus, status());
    }, 500);
    keyDir = mkdtempSync(join(tmpdir(), 'msx-routing-metrics-'));
    const keyFile = join(keyDir, 'router-signing-key.pem');
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const config = {
      ...loadRouterConfig(),
      MSX_NATS_URL: nats.url,
      MSX_ROUTER_SIGNING_KEY_FILE: keyFile,
      MSX_OPS_HOST: '127.0.0.1',
      MSX_OPS_PORT: await freePort(),
      MSX_LOG_LEVEL: 'error' as const,
    };
    app = await NestFactory.createApplicationContext(RouterModule.forRoot(config, directory), {
      logger: ['error'],
    });
    base = app.get(OpsServer).url!;
  });

  afterAll(async () => {
    clearInterval(heartbeat);
    await app?.close();
    await bus?.close();
    await nats?.dispose();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  const build = (json: Parameters<typeof asJson>[0]) => envelopeFromJson(asJson(json));

  async function submit(node: string, envelope: Envelope, msgID = envelope.id): Promise<void> {
    await publishDurably(bus.js, Subjects.submit(node), encodeEnvelope(envelope), { msgID });
  }

  /** Resolves once the router has routed and acknowledged everything submitted so far. */
  async function routed(): Promise<void> {
    await waitFor(async () => {
      const info = await bus.jsm.consumers.info(Streams.submit, Durables.router);
      return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq > 0
        ? true
        : undefined;
    }, 'the router to finish');
  }

  /** Every audit event the router published. */
  async function routerAuditEvents(): Promise<AuditEvent[]> {
    const { state } = await bus.jsm.streams.info(Streams.audit);
    const events: AuditEvent[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await bus.jsm.streams.getMessage(Streams.audit, { seq });
      if (!m || m.subject !== Subjects.audit(ROUTER_NODE)) continue;
      if (m.header?.get(Headers.auditBatch)) events.push(...decodeAuditEventBatch(m.data));
      else events.push(decodeAuditEvent(m.data));
    }
    return events;
  }

  const metrics = async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  it('counts each routing outcome under its rule, as its audit rows say', async () => {
    const id = uuidv7();
    await submit(
      'emlo-ne',
      build(validRouteReportEnvelope({ id, threadId: id, recipients: ['cp-gr', 'cp-it'] })),
    );
    // Another party's item under the same id: refused as a whole under POLICY.ID_ALREADY_USED.
    const takeover = build(
      validModusOperandiReportEnvelope({
        id,
        threadId: id,
        sender: 'cp-gr',
        author: 'cp-gr.officer-4',
        recipients: ['cp-it'],
      }),
    );
    await submit('cp-gr', takeover, `${id}:cp-gr`);
    await routed();

    const expected = new Map<string, number>();
    const outcomes: Partial<Record<AuditOperation, string>> = {
      [AuditOperation.DELIVERED]: 'delivered',
      [AuditOperation.FORWARDED]: 'forwarded',
      [AuditOperation.WITHHELD]: 'withheld',
      [AuditOperation.REJECTED]: 'rejected',
    };
    for (const e of await routerAuditEvents()) {
      const outcome = outcomes[e.operation];
      if (!outcome) continue;
      const key = `outcome="${outcome}",rule="${e.rule}",service="router"`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const counted = series(await metrics(), 'msx_routed_total');
    expect(counted).toEqual(expected);
    expect(counted.get('outcome="delivered",rule="POLICY.ALLOWED",service="router"')).toBeGreaterThanOrEqual(
      2,
    );
    expect(counted.get('outcome="rejected",rule="POLICY.ID_ALREADY_USED",service="router"')).toBe(1);
  });

  it('observes the delivery latency of what it delivered, from the submit stream', async () => {
    const text = await metrics();
    // The refused takeover delivered nothing: one observation, for the item.
    expect(series(text, 'msx_delivery_latency_seconds_count')).toEqual(
      new Map([['service="router",stage="routed"', 1]]),
    );
    const [sum] = series(text, 'msx_delivery_latency_seconds_sum').values();
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(30);
  });

  it("shows each node's inbox lag and that the audit gate is open", async () => {
    const text = await metrics();
    const lag = series(text, 'msx_consumer_lag');
    expect(lag.size).toBe(directory.nodeIds().length);
    // No node app runs here: each inbox's lag is everything in it.
    for (const node of directory.nodeIds()) {
      const { state } = await bus.jsm.streams.info(Streams.inbox(node));
      expect([node, lag.get(`node="${node}",service="router"`)]).toEqual([node, state.messages]);
    }
    expect(lag.get('node="cp-it",service="router"')).toBeGreaterThan(0);
    expect(series(text, 'msx_fail_closed')).toEqual(new Map([['service="router"', 0]]));
    expect(text).toMatch(/^process_resident_memory_bytes\{service="router"\} \d+/m);
  });

  it('is ready while NATS answers and its consumer runs; a router has no database to check', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { nats: 'ok', workers: 'ok' } });
  });
});
