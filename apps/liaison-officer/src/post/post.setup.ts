import { int, loadConfig } from '#config';
import {
  CreateOutbox1765900000000,
  DEFAULT_OUTBOX_OPTIONS,
  HOLDINGS,
  OUTBOX,
  OUTBOX_OPTIONS,
  OutboxSender,
  OutboxStore,
  type HoldingsStore,
  type OutboxOptions,
  type RunNodeAppOptions,
} from '#node-app';
import { ReceiptHandler } from '../read-receipts/receipt.handler.js';

/** The outbox's settings from the environment. */
export function outboxOptionsFromConfig(env?: NodeJS.ProcessEnv): OutboxOptions {
  const c = loadConfig(
    {
      MSX_OUTBOX_ACK_TIMEOUT_MS: int(DEFAULT_OUTBOX_OPTIONS.ackTimeoutMs, 100, 120_000),
      MSX_OUTBOX_MAX_BACKOFF_MS: int(DEFAULT_OUTBOX_OPTIONS.maxBackoffMs, 100, 600_000),
    },
    env,
  );
  return {
    ...DEFAULT_OUTBOX_OPTIONS,
    ackTimeoutMs: c.MSX_OUTBOX_ACK_TIMEOUT_MS,
    maxBackoffMs: c.MSX_OUTBOX_MAX_BACKOFF_MS,
  };
}

/** What a post adds to a node app: its outbox (table, store, sender) and the receipts it reads. */
export function postSetup(
  options: OutboxOptions = DEFAULT_OUTBOX_OPTIONS,
): ReturnType<NonNullable<RunNodeAppOptions['setup']>> {
  return {
    migrations: [CreateOutbox1765900000000],
    providers: [
      { provide: OUTBOX_OPTIONS, useValue: options },
      {
        provide: OUTBOX,
        useFactory: (holdings: HoldingsStore) => new OutboxStore(holdings),
        inject: [HOLDINGS],
      },
      OutboxSender,
      ReceiptHandler,
    ],
  };
}
