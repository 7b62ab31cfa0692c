import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { publicKeyDer } from '#contracts';
import type { BusCredentials } from '#messaging';
import {
  assertRouterPublicKey,
  BusModule,
  createHealthController,
  opsProviders,
  READINESS,
  type OpsConfig,
} from '#runtime';
import { BLIND_INDEX_OPTIONS, BlindIndexer, type BlindIndexOptions } from './blind-index/blind-indexer.js';
import { CheckpointWitness, type WitnessOptions } from './checkpoint-witness.js';
import { HandlersInOrder } from './handlers-in-order.js';
import {
  DEFAULT_OUTBOX_OPTIONS,
  OUTBOX,
  OUTBOX_OPTIONS,
  OutboxSender,
  type OutboxOptions,
} from './outbox/outbox-sender.js';
import { OutboxStore } from './outbox/outbox.store.js';
import {
  LEAF_OUTBOX_OPTIONS,
  LeafOutboxIntake,
  type LeafOutboxOptions,
} from './outbox/leaf-outbox-intake.js';
import { HoldingsStore, type HoldingsOptions } from './holdings/holdings-store.js';
import { InboxWorker, type InboxHandler } from './inbox-worker.js';
import { loadWitnessConfig } from './node-app.config.js';
import { NodeErasure } from './node-erasure.js';
import {
  HOLDINGS,
  INBOX_HANDLER,
  NODE_ID,
  RETENTION_SWEEP_MS,
  ROUTER_PUBLIC_KEY,
  WITNESS_OPTIONS,
} from './node-app.tokens.js';
import { RetentionSweeper } from './retention-sweeper.js';

/** How often a node erases what its retention no longer allows, by default. */
export const DEFAULT_RETENTION_SWEEP_MS = 60_000;

export interface NodeAppOptions {
  nodeId: string;
  natsUrl: string;
  /** The node kind's handling of inbox items. */
  handler: Type<InboxHandler>;
  /** Further providers the handler needs. */
  providers?: DynamicModule['providers'];
  /**
   * The router's Ed25519 public key (SPKI DER), pinned by `MSX_ROUTER_KEY_FILE`: the inbox accepts only
   * copies the router vouched for with it.
   */
  routerPublicKey: Uint8Array;
  /** Where the node keeps its holdings (a schema of its own, migrated at start). */
  holdings: HoldingsOptions;
  /** Credentials, when the broker requires them. */
  credentials?: BusCredentials;
  /** How often the node erases what its retention no longer allows (`MSX_RETENTION_SWEEP_MS`); default 60 s. */
  retentionSweepMs?: number;
  /** Keep the audit checkpoints as a witness; default: from `MSX_WITNESS_DIR` (off when unset). */
  witness?: WitnessOptions | null;
  /** Take part in blind hit/no-hit with this matching key (`MSX_MATCH_KEY_FILE`); off when absent. */
  blindIndex?: BlindIndexOptions;
  /** How the node's outbox is sent (`MSX_OUTBOX_*`); the defaults otherwise. */
  outbox?: OutboxOptions;
  /**
   * A post on its own leaf node (`MSX_LEAF_OUTBOX=on`): take what the post's processes put into the leaf's
   * outbox stream into the outbox record. Off when absent.
   */
  leafOutbox?: LeafOutboxOptions;
  /** Where the node's operations listener listens (`MSX_OPS_HOST`, `MSX_OPS_PORT`); none without a port. */
  ops?: OpsConfig;
}

/** The node kind's handler, then the node's part in blind hit/no-hit. */
class WithBlindIndex extends HandlersInOrder {
  constructor(handler: InboxHandler, blindIndex: BlindIndexer) {
    super([handler, blindIndex]);
  }
}

/** The witness settings from the configuration, or null when `MSX_WITNESS_DIR` is not set. */
function witnessFromConfig(): WitnessOptions | null {
  const c = loadWitnessConfig();
  if (!c.MSX_WITNESS_DIR) return null;
  const keyFile = c.MSX_WITNESS_AUDIT_KEY_FILE;
  return {
    dir: c.MSX_WITNESS_DIR,
    publicKey: keyFile ? publicKeyDer(createPublicKey(readFileSync(keyFile))) : undefined,
  };
}

/** The common shape of every node app: its bus connection, its inbox worker, its health endpoint. */
@Module({})
export class NodeAppModule {
  static forNode(opts: NodeAppOptions): DynamicModule {
    assertRouterPublicKey(opts.routerPublicKey);
    const witness = opts.witness === undefined ? witnessFromConfig() : opts.witness;
    return {
      module: NodeAppModule,
      imports: [
        BusModule.forRoot({
          servers: opts.natsUrl,
          name: `msx-${opts.nodeId}`,
          credentials: opts.credentials,
        }),
      ],
      controllers: [createHealthController(opts.nodeId)],
      providers: [
        { provide: NODE_ID, useValue: opts.nodeId },
        opts.handler,
        ...(opts.blindIndex
          ? [
              { provide: BLIND_INDEX_OPTIONS, useValue: opts.blindIndex },
              BlindIndexer,
              {
                provide: INBOX_HANDLER,
                useFactory: (handler: InboxHandler, blind: BlindIndexer) =>
                  new WithBlindIndex(handler, blind),
                inject: [opts.handler, BlindIndexer],
              },
            ]
          : [{ provide: INBOX_HANDLER, useExisting: opts.handler }]),
        // Opened (and migrated) before anything is taken from the inbox; closed by the inbox worker.
        { provide: HOLDINGS, useFactory: () => HoldingsStore.open(opts.holdings) },
        { provide: ROUTER_PUBLIC_KEY, useValue: opts.routerPublicKey },
        // What the node sends that must survive a restart and a lost link: a post's reports and
        // acknowledgements, every node's blind index updates.
        { provide: OUTBOX_OPTIONS, useValue: opts.outbox ?? DEFAULT_OUTBOX_OPTIONS },
        {
          provide: OUTBOX,
          useFactory: (holdings: HoldingsStore) => new OutboxStore(holdings),
          inject: [HOLDINGS],
        },
        OutboxSender,
        ...(opts.leafOutbox
          ? [{ provide: LEAF_OUTBOX_OPTIONS, useValue: opts.leafOutbox }, LeafOutboxIntake]
          : []),
        NodeErasure,
        InboxWorker,
        { provide: RETENTION_SWEEP_MS, useValue: opts.retentionSweepMs ?? DEFAULT_RETENTION_SWEEP_MS },
        RetentionSweeper,
        { provide: READINESS, useExisting: InboxWorker },
        // /healthz, /readyz (NATS, the holdings' database, the inbox worker) and /metrics.
        ...opsProviders({
          service: opts.nodeId,
          config: opts.ops ?? {},
          database: { inject: HOLDINGS, ping: (holdings: HoldingsStore) => holdings.query('SELECT 1') },
        }),
        ...(opts.providers ?? []),
        ...(witness ? [{ provide: WITNESS_OPTIONS, useValue: witness }, CheckpointWitness] : []),
      ],
    };
  }
}
