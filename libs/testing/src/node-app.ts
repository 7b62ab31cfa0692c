import 'reflect-metadata';
import type { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { generateKeyPairSync } from 'node:crypto';
import type { MigrationInterface } from 'typeorm';
import {
  AuditOperation,
  deliverySigner,
  envelopeFromJson,
  publicKeyDer,
  uuidv7,
  type AuditEvent,
  type DeliveryDecision,
  type Envelope,
} from '#contracts';
import { connectBus, provisionBus, Streams, type Bus } from '#messaging';
import { NodeAppModule, type BlindIndexOptions, type InboxHandler, type OutboxOptions } from '#node-app';
import { deliverVouched, publishedAuditEvents, submittedBy } from './audit-events.js';
import { asJson, validRecallEnvelope } from './envelopes/index.js';
import { startNatsServer, type TestNatsServer } from './nats-server.js';
import { createTestSchema, type TestSchema } from './postgres.js';
import { waitFor } from './wait-for.js';

/** Where a node app under test runs: its broker, the router key its inbox checks, its schema. */
export interface NodeAppTestBed {
  natsUrl: string;
  /** The router's public key (SPKI DER) the inbox checks vouchers with. */
  routerPublicKey: Uint8Array;
  db: { url: string; schema: string };
}

/**
 * A node app as integration tests run it: on a private broker without credentials and a test schema, with the
 * node kind's handler, providers and tables, no checkpoint witness, errors logged only.
 */
export function startNodeAppForTest(
  o: NodeAppTestBed & {
    nodeId: string;
    handler: Type<InboxHandler>;
    providers?: DynamicModule['providers'];
    migrations?: Array<new () => MigrationInterface>;
    retentionSweepMs?: number;
    blindIndex?: BlindIndexOptions;
    outbox?: OutboxOptions;
  },
): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(
    NodeAppModule.forNode({
      nodeId: o.nodeId,
      natsUrl: o.natsUrl,
      routerPublicKey: o.routerPublicKey,
      handler: o.handler,
      providers: o.providers,
      witness: null,
      retentionSweepMs: o.retentionSweepMs,
      blindIndex: o.blindIndex,
      outbox: o.outbox,
      holdings: { url: o.db.url, schema: o.db.schema, migrations: o.migrations },
    }),
    { logger: ['error'] },
  );
}

/** One node app on a private NATS server and a test schema, with a router key to vouch for its deliveries. */
export interface NodeAppHarness {
  nats: TestNatsServer;
  bus: Bus;
  db: TestSchema;
  /** The app now running. */
  app(): INestApplicationContext;
  /** Writes a copy into the node's inbox as the router would. */
  deliver(envelope: Envelope, decision?: DeliveryDecision): Promise<void>;
  /** Delivers, then waits until the node audited the copy as received: every item before it was handled too. */
  deliverAndWait(envelope: Envelope, decision?: DeliveryDecision): Promise<void>;
  /** The node's audit events of one operation on one message, in order. */
  events(operation: AuditOperation, messageId: string): Promise<AuditEvent[]>;
  /** Waits until the node audited one operation on one message at least once (its rows come after `received`). */
  eventsOnce(operation: AuditOperation, messageId: string): Promise<AuditEvent[]>;
  /** Every envelope the node submitted, in order. */
  submitted(): Promise<Envelope[]>;
  /** Delivers the originator's recall of `item` and waits for the node's erasure: what its account lists. */
  recall(item: Envelope, explanation?: string): Promise<string[]>;
  /** Closes the app and starts it again on the same broker and schema. */
  restart(): Promise<void>;
  /**
   * Shortens the submit stream's deduplication window (hours in production) to its least, so that only the
   * node's own records keep a late redelivery from submitting again what it submitted before.
   */
  outlastDeduplication(): Promise<void>;
  dispose(): Promise<void>;
}

/** Starts a node app with {@link NodeAppHarness}; `boot` builds it on the test bed (again on each restart). */
export async function startNodeAppHarness(o: {
  nodeId: string;
  /** Prefix of the test schema. */
  schema: string;
  boot: (bed: NodeAppTestBed) => Promise<INestApplicationContext>;
}): Promise<NodeAppHarness> {
  const [nats, db] = await Promise.all([startNatsServer(), createTestSchema(o.schema)]);
  const bus = await connectBus({ servers: nats.url, name: `${o.nodeId}-test` });
  await provisionBus(bus.jsm, [o.nodeId]);
  const keys = generateKeyPairSync('ed25519');
  const router = deliverySigner(keys.privateKey);
  const bed: NodeAppTestBed = { natsUrl: nats.url, routerPublicKey: publicKeyDer(keys.publicKey), db };
  let app: INestApplicationContext | undefined = await o.boot(bed);
  const events = async (operation: AuditOperation, messageId: string) =>
    (await publishedAuditEvents(bus, o.nodeId)).filter(
      (e) => e.operation === operation && e.messageId === messageId,
    );
  const deliver = (envelope: Envelope, decision: DeliveryDecision = 'delivered') =>
    deliverVouched(bus, router, o.nodeId, envelope, decision);
  return {
    nats,
    bus,
    db,
    app: () => app!,
    deliver,
    deliverAndWait: async (envelope, decision) => {
      await deliver(envelope, decision);
      await waitFor(
        async () => ((await events(AuditOperation.RECEIVED, envelope.id)).length > 0 ? true : undefined),
        `${envelope.id} received by ${o.nodeId}`,
      );
    },
    events,
    eventsOnce: (operation, messageId) =>
      waitFor(async () => {
        const found = await events(operation, messageId);
        return found.length > 0 ? found : undefined;
      }, `${AuditOperation[operation]} of ${messageId} audited by ${o.nodeId}`),
    submitted: () => submittedBy(bus, o.nodeId),
    recall: async (item, explanation = 'Inaccurate.') => {
      const recall = validRecallEnvelope({
        id: uuidv7(),
        sender: item.sender,
        recipients: [],
        recall: { messageId: item.id, reason: 'RECALL_REASON_INACCURATE', explanation },
      });
      await deliver(envelopeFromJson(asJson(recall)), 'recall');
      const erased = await waitFor(
        async () => (await events(AuditOperation.ERASED, item.id))[0],
        `the erasure of ${item.id} by ${o.nodeId}`,
      );
      return (JSON.parse(erased.detailJson) as { erased: string[] }).erased;
    },
    restart: async () => {
      await app?.close();
      app = undefined;
      app = await o.boot(bed);
    },
    outlastDeduplication: async () => {
      const info = await bus.jsm.streams.info(Streams.submit);
      await bus.jsm.streams.update(Streams.submit, { ...info.config, duplicate_window: 100_000_000 });
      await new Promise((r) => setTimeout(r, 200));
    },
    dispose: async () => {
      await app?.close();
      await bus.close();
      await nats.dispose();
      await db.drop();
    },
  };
}
