import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { generateKeyPairSync } from 'node:crypto';
import {
  AuditOperation,
  deliverySigner,
  envelopeFromJson,
  publicKeyDer,
  uuidv7,
  type AuditEvent,
  type Envelope,
} from '#contracts';
import { DAY_MS } from '#directory';
import { connectBus, provisionBus, type Bus } from '#messaging';
import {
  asJson,
  createTestSchema,
  deliverVouched,
  submittedBy,
  publishedAuditEvents,
  startNatsServer,
  validRecallEnvelope,
  validRouteReportEnvelope,
  waitFor,
  type TestNatsServer,
  type TestSchema,
} from '#testing';
import type { HoldingsStore } from './holdings/holdings-store.js';
import type { InboxHandler, NodeOperation, RecallNotice } from './inbox-worker.js';
import { NodeAppModule } from './node-app.module.js';
import { HOLDINGS } from './node-app.tokens.js';
import { RETENTION_RULE } from './retention-sweeper.js';

const NODE = 'cp-it';

/** What the handler was asked to stop using, and why. */
const erasures: Array<{ itemId: string; notice: RecallNotice }> = [];

@Injectable()
class ListingHandler implements InboxHandler {
  handle(): Promise<NodeOperation[]> {
    return Promise.resolve([]);
  }
  beginErasure(itemId: string, notice: RecallNotice): Promise<string[]> {
    erasures.push({ itemId, notice });
    return Promise.resolve([`watch-list:${itemId.slice(0, 8)}`]);
  }
}

/**
 * A node enforces retention on its own holdings, not only through the router's expiry recall: what its
 * expiresAt or its type's retention no longer allows is erased with everything derived from it, and audited.
 */
describe('retention at a node, on real NATS and PostgreSQL', () => {
  let nats: TestNatsServer;
  let bus: Bus;
  let db: TestSchema;
  let app: INestApplicationContext;
  const routerKeys = generateKeyPairSync('ed25519');
  const router = deliverySigner(routerKeys.privateKey);

  beforeAll(async () => {
    [nats, db] = await Promise.all([startNatsServer(), createTestSchema('retention')]);
    bus = await connectBus({ servers: nats.url, name: 'retention-test' });
    await provisionBus(bus.jsm, [NODE]);
    app = await NestFactory.createApplicationContext(
      NodeAppModule.forNode({
        nodeId: NODE,
        natsUrl: nats.url,
        routerPublicKey: publicKeyDer(routerKeys.publicKey),
        handler: ListingHandler,
        witness: null,
        retentionSweepMs: 200,
        // Route reports are kept for one day here.
        holdings: {
          url: db.url,
          schema: db.schema,
          retention: { defaultDays: 1_095, byType: { routeReport: 1 } },
        },
      }),
      { logger: ['error'] },
    );
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await nats?.dispose();
    await db?.drop();
  });

  const erasedOf = async (itemId: string): Promise<AuditEvent[]> =>
    (await publishedAuditEvents(bus, NODE)).filter(
      (e) => e.operation === AuditOperation.ERASED && e.messageId === itemId,
    );

  const deliver = (e: Envelope, decision: 'delivered' | 'recall' = 'delivered') =>
    deliverVouched(bus, router, NODE, e, decision);

  const report = (createdAtMs: number, expiresAtMs?: number): Envelope => {
    const e = envelopeFromJson(asJson(validRouteReportEnvelope({ id: uuidv7() })));
    e.createdAt = timestampFromMs(createdAtMs);
    if (expiresAtMs !== undefined) e.expiresAt = timestampFromMs(expiresAtMs);
    return e;
  };

  it('erases an item when its expiresAt passes, with what was derived from it, and audits why', async () => {
    const item = report(Date.now(), Date.now() + 1_500);
    await deliver(item);
    const holdings = app.get<HoldingsStore>(HOLDINGS);
    await waitFor(async () => (await holdings.get(item.id)) && true, 'the copy kept');
    const [erased] = await waitFor(async () => {
      const rows = await erasedOf(item.id);
      return rows.length ? rows : undefined;
    }, 'the erasure on retention');
    expect(erased).toMatchObject({
      actorNode: NODE,
      actorPerson: `${NODE}.retention`,
      rule: RETENTION_RULE,
      messageType: 'routeReport',
      counterpartNode: item.sender,
    });
    const detail = JSON.parse(erased.detailJson) as { reason: string; erased: string[]; keptUntil: string };
    expect(detail).toMatchObject({
      reason: 'EXPIRED',
      erased: ['copy', `watch-list:${item.id.slice(0, 8)}`],
      keptUntil: new Date(timestampMs(item.expiresAt!)).toISOString(),
    });
    expect(await holdings.get(item.id)).toBeUndefined();
    expect(erasures.find((e) => e.itemId === item.id)?.notice.reason).toBe('EXPIRED');

    // The router's expiry recall, when it comes, is answered from the same account.
    const recall = envelopeFromJson(
      asJson(
        validRecallEnvelope({
          id: uuidv7(),
          sender: item.sender,
          recipients: [],
          recall: {
            messageId: item.id,
            reason: 'RECALL_REASON_EXPIRED',
            explanation: 'retention period ended',
          },
        }),
      ),
    );
    await deliver(recall, 'recall');
    const receipt = await waitFor(
      async () =>
        (await submittedBy(bus, NODE)).find(
          (e) => e.payload.case === 'erasureReceipt' && e.payload.value.messageId === item.id,
        ),
      'the erasure receipt',
    );
    expect(receipt.payload.case === 'erasureReceipt' && receipt.payload.value.erased).toEqual(detail.erased);
  });

  it("erases an item without an expiry once its type's retention from creation has passed", async () => {
    const old = report(Date.now() - 2 * DAY_MS);
    const fresh = report(Date.now());
    await deliver(old);
    await deliver(fresh);
    await waitFor(async () => ((await erasedOf(old.id)).length ? true : undefined), 'the old report erased');
    const holdings = app.get<HoldingsStore>(HOLDINGS);
    await waitFor(async () => (await holdings.get(fresh.id)) && true, 'the fresh report kept');
    expect(await holdings.get(old.id)).toBeUndefined();
    expect(await erasedOf(fresh.id)).toEqual([]);
    // A copy of the erased item that comes again is not kept.
    await deliver(old);
    await new Promise((r) => setTimeout(r, 500));
    expect(await holdings.get(old.id)).toBeUndefined();
    expect(await erasedOf(old.id)).toHaveLength(1);
  });
});
