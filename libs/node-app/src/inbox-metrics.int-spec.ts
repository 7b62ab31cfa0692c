import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { envelopeFromJson, uuidv7 } from '#contracts';
import { OpsServer } from '#runtime';
import { asJson, freePort, validRouteReportEnvelope } from '#testing';
import { startNodeAppHarness, type NodeAppHarness } from '#testing/node-app';
import type { InboxHandler, NodeOperation } from './inbox-worker.js';
import { NodeAppModule } from './node-app.module.js';

const NODE = 'cp-it';

/** A node kind that only keeps what it receives. */
@Injectable()
class KeepOnly implements InboxHandler {
  async handle(): Promise<NodeOperation[]> {
    return [];
  }
}

/**
 * A node app with its operations listener on the port its configuration names, on a private nats-server and
 * a schema of its own: readiness checks NATS, the holdings' database and the inbox worker, and the metrics
 * time each copy from the inbox stream to its handling.
 */
describe("a node app's operations listener", () => {
  let node: NodeAppHarness;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    node = await startNodeAppHarness({
      nodeId: NODE,
      schema: 'inbox_metrics',
      boot: (bed) =>
        NestFactory.createApplicationContext(
          NodeAppModule.forNode({
            nodeId: NODE,
            natsUrl: bed.natsUrl,
            routerPublicKey: bed.routerPublicKey,
            handler: KeepOnly,
            witness: null,
            holdings: { url: bed.db.url, schema: bed.db.schema },
            ops: { MSX_OPS_HOST: '127.0.0.1', MSX_OPS_PORT: port },
          }),
          { logger: ['error'] },
        ),
    });
    base = node.app().get(OpsServer).url!;
  });

  afterAll(async () => {
    await node?.dispose();
  });

  it('is ready when NATS, its holdings and its inbox worker answer', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { nats: 'ok', database: 'ok', workers: 'ok' },
    });
  });

  it('observes the delivery latency of each copy it handled, labelled with the node', async () => {
    for (let i = 0; i < 2; i++) {
      const id = uuidv7();
      await node.deliverAndWait(envelopeFromJson(asJson(validRouteReportEnvelope({ id, threadId: id }))));
    }
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^msx_delivery_latency_seconds_count\{service="cp-it",stage="handled"\} 2$/m);
    const sum = /^msx_delivery_latency_seconds_sum\{service="cp-it",stage="handled"\} (\S+)$/m.exec(text);
    expect(Number(sum?.[1])).toBeGreaterThan(0);
    expect(Number(sum?.[1])).toBeLessThan(30);
    // A node routes nothing, reads no other node's inbox and holds no audit gate.
    expect(text).not.toMatch(/msx_routed_total|msx_consumer_lag|msx_fail_closed|msx_audit_backlog/);
  });
});
