import type { Provider } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { AuditCheckpointStore, AuditRepository } from '#audit-store';
import type { Bus } from '#messaging';
import { BUS } from '#runtime';
import type { AuditModuleConfig } from '../audit.config.js';
import { AUDIT_CHECKPOINT_STORE, AUDIT_DATA_SOURCE, AUDIT_REPOSITORY } from '../audit.tokens.js';
import { CHECKPOINTER_OPTIONS, type CheckpointerOptions } from '../sign-checkpoint/audit-checkpointer.js';
import { ChainRows } from './chain-rows.js';
import { ChainVerifier, DEFAULT_CHAIN_VERIFIER_OPTIONS } from './chain-verifier.js';
import { WitnessConfirmations } from './witness-confirmations.js';

/**
 * The chain's verifier, which checks the trail in the background and on request. It trusts the key this
 * service signs checkpoints with, as `npm run audit:verify` does by default.
 */
export function queryChainProviders(config: AuditModuleConfig): Provider[] {
  return [
    {
      provide: ChainVerifier,
      inject: [BUS, AUDIT_DATA_SOURCE, AUDIT_REPOSITORY, AUDIT_CHECKPOINT_STORE, CHECKPOINTER_OPTIONS],
      useFactory: (
        bus: Bus,
        ds: DataSource,
        repository: AuditRepository,
        checkpoints: AuditCheckpointStore,
        signing: CheckpointerOptions,
      ) => {
        const rows = new ChainRows(ds);
        return new ChainVerifier(repository, checkpoints, rows, new WitnessConfirmations(bus, rows), {
          ...DEFAULT_CHAIN_VERIFIER_OPTIONS,
          db: { url: config.MSX_DATABASE_URL, schema: config.MSX_DATABASE_SCHEMA },
          trustedKeyIds: new Set([signing.key.keyId]),
        });
      },
    },
  ];
}
