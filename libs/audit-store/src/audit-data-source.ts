import pg from 'pg';
import { DataSource } from 'typeorm';
import { AuditCheckpointEntity } from './audit-checkpoint.entity.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { AuditEventIdEntity } from './audit-event-id.entity.js';
import { AuditSeqEntity } from './audit-seq.entity.js';
import { CreateAuditEntry1764370000000 } from './migrations/1764370000000-create-audit-entry.js';
import { ChainAndPartitionAuditEntry1764400000000 } from './migrations/1764400000000-chain-and-partition-audit-entry.js';
import { AppendOnlyAuditTrail1764400000001 } from './migrations/1764400000001-append-only-audit-trail.js';
import { AuditIdentityPerPublisher1764500000000 } from './migrations/1764500000000-audit-identity-per-publisher.js';
import { TrailOfConcernedItem1764600000000 } from './migrations/1764600000000-trail-of-concerned-item.js';
import { OneRowPerSeq1764600000001 } from './migrations/1764600000001-one-row-per-seq.js';

export interface AuditStoreOptions {
  /** PostgreSQL URL. */
  url: string;
  /** Schema holding the audit tables. */
  schema: string;
  /** Connections in the pool. */
  poolSize?: number;
}

/** Every migration, in order. Entities and migrations must agree; a test checks it. */
export const AUDIT_MIGRATIONS = [
  CreateAuditEntry1764370000000,
  ChainAndPartitionAuditEntry1764400000000,
  AppendOnlyAuditTrail1764400000001,
  AuditIdentityPerPublisher1764500000000,
  TrailOfConcernedItem1764600000000,
  OneRowPerSeq1764600000001,
];
export const AUDIT_ENTITIES = [AuditEntryEntity, AuditEventIdEntity, AuditSeqEntity, AuditCheckpointEntity];

/** A TypeORM data source for the audit store; schema changes only through migrations, never `synchronize`. */
export function createAuditDataSource(opts: AuditStoreOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    schema: opts.schema,
    entities: AUDIT_ENTITIES,
    migrations: AUDIT_MIGRATIONS,
    migrationsTableName: 'audit_migrations',
    synchronize: false,
    migrationsRun: false,
    // Not even failed queries are logged: their parameters are the trail's rows.
    logging: false,
    extra: { max: opts.poolSize ?? 4, connectionTimeoutMillis: 5_000 },
  });
}

/** Creates `schema` (an identifier already checked) if it is missing: TypeORM does not, before migrations. */
export async function createSchemaIfMissing(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await client.end();
  }
}

/** Creates the schema if needed, then opens the data source and applies pending migrations. */
export async function openAuditStore(opts: AuditStoreOptions): Promise<DataSource> {
  await createSchemaIfMissing(opts.url, opts.schema);
  const ds = createAuditDataSource(opts);
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  return ds;
}
