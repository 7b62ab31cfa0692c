import { resolve } from 'node:path';
import type { Provider } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AuditCheckpointStore, loadOrCreateSigningKey } from '#audit-store';
import { LOCAL_SIGNING_KEY_FILE, type AuditModuleConfig } from '../audit.config.js';
import { AUDIT_CHECKPOINT_STORE, AUDIT_DATA_SOURCE } from '../audit.tokens.js';
import { AuditCheckpointer, CHECKPOINTER_OPTIONS, type CheckpointerOptions } from './audit-checkpointer.js';

/** What signing checkpoints needs: the key, the checkpoint table, the stream, the checkpointer. */
export function signCheckpointProviders(config: AuditModuleConfig): Provider[] {
  return [
    {
      provide: AUDIT_CHECKPOINT_STORE,
      inject: [AUDIT_DATA_SOURCE],
      useFactory: (ds: DataSource) => new AuditCheckpointStore(ds),
    },
    {
      provide: CHECKPOINTER_OPTIONS,
      useFactory: (): CheckpointerOptions => ({
        key: loadOrCreateSigningKey(
          config.MSX_AUDIT_SIGNING_KEY_FILE || undefined,
          resolve(LOCAL_SIGNING_KEY_FILE),
        ),
        logId: config.MSX_AUDIT_LOG_ID || config.MSX_DATABASE_SCHEMA,
        everyRows: config.MSX_AUDIT_CHECKPOINT_ROWS,
        everyMs: config.MSX_AUDIT_CHECKPOINT_INTERVAL_MS,
      }),
    },
    AuditCheckpointer,
  ];
}
