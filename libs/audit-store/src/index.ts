/** Public entry of the audit store: the trail's entities, migrations, data source, chain, repository and tools. */
export * from './audit-entry.entity.js';
export * from './audit-event-id.entity.js';
export * from './audit-seq.entity.js';
export * from './audit-checkpoint.entity.js';
export * from './audit-data-source.js';
export * from './audit-chain.js';
export * from './audit-roles.js';
export * from './audit-partitions.js';
export * from './audit-repository.js';
export * from './storage-errors.js';
export * from './audit-queries.js';
export * from './chained-row.js';
export * from './signing-key.js';
export * from './checkpoint-store.js';
export * from './verify-audit-chain.js';
export * from './audit-export.js';
export * from './audit-retention.js';
