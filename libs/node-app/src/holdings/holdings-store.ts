import { timestampMs } from '@bufbuild/protobuf/wkt';
import { DataSource, type EntityManager, type MigrationInterface } from 'typeorm';
import { createSchemaIfMissing, isTransientStorageError } from '#audit-store';
import {
  encodeEnvelope,
  HandlingCode,
  MsxError,
  purposeLabel,
  purposesOf,
  Tlp,
  type Envelope,
} from '#contracts';
import { DEFAULT_RETENTION, keptUntil, type RetentionPolicy } from '#directory';
import { CreateNodeHoldings1765000000000 } from './migrations/1765000000000-create-node-holdings.js';
import { HoldingRetention1765200000000 } from './migrations/1765200000000-holding-retention.js';
import { CreateBlindTokens1765700000000 } from '../blind-index/migrations/1765700000000-create-blind-tokens.js';
import { CreateOutbox1765900000000 } from '../outbox/migrations/1765900000000-create-outbox.js';
import { HoldingPurposes1766000000000 } from './migrations/1766000000000-holding-purposes.js';

export { schemaOf as nodeSchemaOf } from './migrations/1765000000000-create-node-holdings.js';

/** Every migration of a node's holdings, in order. */
export const HOLDINGS_MIGRATIONS = [
  CreateNodeHoldings1765000000000,
  HoldingRetention1765200000000,
  CreateBlindTokens1765700000000,
  CreateOutbox1765900000000,
  HoldingPurposes1766000000000,
];

export interface HoldingsOptions {
  /** PostgreSQL URL. */
  url: string;
  /** The node's own schema. */
  schema: string;
  poolSize?: number;
  /** How long copies are kept by type (the directory's `retention:`); three years for every type by default. */
  retention?: RetentionPolicy;
  /** A node kind's own tables in the same schema (for example a contact point's dispatch queue), after the holdings'. */
  migrations?: Array<new () => MigrationInterface>;
}

/** What the node holds of an item it received: the exact copy and where it came from. */
export interface Holding {
  messageId: string;
  /** The item it is a copy of: the envelope itself, or for a forwarded copy the originator's item. */
  itemId: string;
  sender: string;
  messageType: string;
  sha256: string;
  /** The envelope's bytes as received. */
  bytes: Uint8Array;
  receivedAt: Date;
  /** When it must be erased: the item's expiresAt or its type's retention from its creation, whichever is first. */
  keptUntil: Date;
  /** What it was shared for (the envelope's `purpose`; empty when the sender stated none). */
  purpose: string;
  /** The purposes it serves ({@link purposesOf}), as labels, for auditors: its envelope states the same. */
  purposes: string[];
}

/** An item whose time to be kept has ended, with what its audit row names. */
export interface ExpiredItem {
  itemId: string;
  /** The copy the audit row names: the item's own when the node holds it. */
  messageId: string;
  messageType: string;
  handlingCode: HandlingCode;
  tlp: Tlp;
  sha256: string;
  keptUntil: Date;
}

/** What a node erased of one item, as its erasure receipt and audit row state it. */
export interface ErasureAccount {
  messageId: string;
  /** The recall that asked for it first (the originator's, or the router's on expiry). */
  recallId: string;
  erasedAt: Date;
  /**
   * `copy` for the node's copy of the item, `forwarded-copy:<id>` for each forwarded copy of it, then
   * `<kind>:<reference>` for each record derived from them.
   */
  erased: string[];
  /** The sender of the item's own erased copy (the originator), when the node held it: whom the receipt goes to. */
  originator?: string;
}

/** The entry in {@link ErasureAccount.erased} of the node's copy of the item itself. */
export const ERASED_COPY = 'copy';
/** The entry of a forwarded copy of the item: `forwarded-copy:<its envelope id>`. */
export const ERASED_FORWARD = 'forwarded-copy';

/**
 * A PostgreSQL error of the holdings at the node's edge (STYLE §8): a database that is away is a hold (the
 * copy or recall waits in the inbox, retried without limit, never a dead letter); anything else is permanent.
 */
export function holdingsError(err: unknown): MsxError {
  if (err instanceof MsxError) return err;
  const message = (err as { message?: string }).message ?? String(err);
  return isTransientStorageError(err)
    ? new MsxError('NODE.HOLDINGS_UNAVAILABLE', `holdings unavailable: ${message}`, {
        cause: err,
        hold: true,
      })
    : new MsxError('NODE.HOLDINGS_REJECTED', `holdings rejected the operation: ${message}`, { cause: err });
}

/** A schema name as PostgreSQL takes it unquoted: what `MSX_NODE_SCHEMA` allows. */
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** A stored copy, as selected. */
interface HoldingRow {
  message_id: string;
  item_id: string;
  sender: string;
  message_type: string;
  sha256: string;
  envelope: Buffer;
  received_at: Date;
  kept_until: Date;
  purpose: string;
  purposes: string[];
}

/** A stored erasure account, as selected. */
interface ErasureRow {
  recall_id: string;
  erased_at: Date;
  erased: string[];
  originator: string | null;
}

/** What a DELETE … RETURNING gives through TypeORM: the rows, then how many. */
type Deleted<R> = [R[], number];

/**
 * A node's holdings in PostgreSQL, in a schema of its own (DESIGN §3): the copies it received, the records
 * it derived from them, and its account of each erasure. Recalls erase from here, so a node restarted
 * between delivery and recall still finds what it holds; and an erasure is stated from what was actually
 * deleted, never assumed.
 */
export class HoldingsStore {
  private constructor(
    private readonly ds: DataSource,
    readonly schema: string,
    readonly retention: RetentionPolicy,
  ) {}

  /** Creates the schema if needed, applies pending migrations and opens the store. */
  static async open(opts: HoldingsOptions): Promise<HoldingsStore> {
    if (!SCHEMA.test(opts.schema))
      throw new Error(`holdings schema must be a lowercase SQL identifier, got "${opts.schema}"`);
    await createSchemaIfMissing(opts.url, opts.schema);
    const ds = new DataSource({
      type: 'postgres',
      url: opts.url,
      schema: opts.schema,
      entities: [],
      migrations: [...HOLDINGS_MIGRATIONS, ...(opts.migrations ?? [])],
      migrationsTableName: 'holdings_migrations',
      synchronize: false,
      migrationsRun: false,
      // Not even failed queries are logged: their parameters are intelligence.
      logging: false,
      extra: { max: opts.poolSize ?? 4, connectionTimeoutMillis: 5_000 },
    });
    await ds.initialize();
    try {
      await ds.runMigrations({ transaction: 'each' });
    } catch (err) {
      await ds.destroy();
      throw err;
    }
    return new HoldingsStore(ds, opts.schema, opts.retention ?? DEFAULT_RETENTION);
  }

  /** A table of the node's schema, quoted for SQL. */
  table(name: string): string {
    return `"${this.schema}"."${name}"`;
  }

  /**
   * Runs `work` in a READ COMMITTED transaction on the node's schema, for a node kind's own tables; a
   * database that is away comes out as NODE.HOLDINGS_UNAVAILABLE (a hold).
   */
  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.guard(() => this.ds.transaction('READ COMMITTED', work));
  }

  /** One statement on the node's schema, outside a transaction; errors as in {@link transaction}. */
  query<T>(sql: string, parameters: unknown[] = []): Promise<T> {
    return this.guard(() => this.ds.query<T>(sql, parameters));
  }

  /** Runs `work` in a READ COMMITTED transaction holding the item's lock, so keeping and erasing take turns. */
  private withItem<T>(itemId: string, work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.guard(() =>
      this.ds.transaction('READ COMMITTED', async (m) => {
        await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.schema}:item:${itemId}`]);
        return work(m);
      }),
    );
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw holdingsError(err);
    }
  }

  /**
   * Keeps the copy of a received item; the same copy received again (a redelivery) keeps the first. A copy
   * of an item the node erased already is not kept again: a late redelivery must not bring it back.
   * @param itemId the item it is a copy of: the envelope's own id, or the originator's item for a forward
   * @returns false when it was not kept because its item was erased before
   */
  async keep(envelope: Envelope, sha256: string, itemId: string = envelope.id): Promise<boolean> {
    return this.withItem(itemId, async (m) => {
      if (await this.erasureIn(m, itemId)) return false;
      const type = envelope.payload.case;
      const created = envelope.createdAt ? timestampMs(envelope.createdAt) : Date.now();
      const until = type
        ? keptUntil(
            this.retention,
            type,
            created,
            envelope.expiresAt ? timestampMs(envelope.expiresAt) : undefined,
          )
        : new Date(created);
      await m.query(
        `INSERT INTO ${this.table('holding')}
                (message_id, item_id, sender, message_type, handling_code, tlp, sha256, envelope, kept_until,
                 purpose, purposes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (message_id) DO NOTHING`,
        [
          envelope.id,
          itemId,
          envelope.sender,
          envelope.payload.case ?? '',
          HandlingCode[envelope.handlingCode],
          Tlp[envelope.tlp],
          sha256,
          Buffer.from(encodeEnvelope(envelope)),
          until,
          envelope.purpose,
          purposesOf(envelope).map(purposeLabel),
        ],
      );
      return true;
    });
  }

  /** The node's copy of an item, if it holds one. */
  async get(messageId: string): Promise<Holding | undefined> {
    const [r] = await this.guard(() =>
      this.ds.query<HoldingRow[]>(
        `SELECT message_id, item_id, sender, message_type, sha256, envelope, received_at, kept_until, purpose,
                purposes
         FROM ${this.table('holding')} WHERE message_id = $1`,
        [messageId],
      ),
    );
    return r
      ? {
          messageId: r.message_id,
          itemId: r.item_id,
          sender: r.sender,
          messageType: r.message_type,
          sha256: r.sha256,
          bytes: new Uint8Array(r.envelope),
          receivedAt: r.received_at,
          keptUntil: r.kept_until,
          purpose: r.purpose,
          purposes: r.purposes,
        }
      : undefined;
  }

  /**
   * Items of which the node holds a copy that was to be kept until `now` at the latest, oldest first: what
   * retention must erase.
   */
  async expired(now: Date, limit = 100): Promise<ExpiredItem[]> {
    const rows = await this.guard(() =>
      this.ds.query<
        Array<{
          item_id: string;
          message_id: string;
          message_type: string;
          handling_code: string;
          tlp: string;
          sha256: string;
          kept_until: Date;
        }>
      >(
        `SELECT DISTINCT ON (item_id) item_id, message_id, message_type, handling_code, tlp, sha256, kept_until
         FROM (SELECT * FROM ${this.table('holding')} WHERE kept_until <= $1 ORDER BY kept_until LIMIT $2) due
         ORDER BY item_id, (message_id = item_id) DESC, kept_until`,
        [now, limit],
      ),
    );
    return rows
      .map((r) => ({
        itemId: r.item_id,
        messageId: r.message_id,
        messageType: r.message_type,
        handlingCode: HandlingCode[r.handling_code as keyof typeof HandlingCode] ?? HandlingCode.UNSPECIFIED,
        tlp: Tlp[r.tlp as keyof typeof Tlp] ?? Tlp.UNSPECIFIED,
        sha256: r.sha256,
        keptUntil: r.kept_until,
      }))
      .sort((a, b) => a.keptUntil.getTime() - b.keptUntil.getTime());
  }

  /** Records that the node derived `reference` (of `kind`) from an item it holds; erased with the item. */
  async derive(messageId: string, kind: string, reference: string): Promise<void> {
    await this.guard(() =>
      this.ds.query(
        `INSERT INTO ${this.table('derived_record')} (message_id, kind, reference) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
        [messageId, kind, reference],
      ),
    );
  }

  /** The records derived from an item, as `<kind>:<reference>`. */
  async derivedFrom(messageId: string): Promise<string[]> {
    const rows = await this.guard(() =>
      this.ds.query<Array<{ kind: string; reference: string }>>(
        `SELECT kind, reference FROM ${this.table('derived_record')} WHERE message_id = $1
        ORDER BY recorded_at, kind, reference`,
        [messageId],
      ),
    );
    return rows.map((r) => `${r.kind}:${r.reference}`);
  }

  /** The account of an earlier erasure of the item, if there was one. */
  erasure(itemId: string): Promise<ErasureAccount | undefined> {
    return this.guard(() => this.erasureIn(this.ds.manager, itemId));
  }

  private async erasureIn(m: EntityManager, itemId: string): Promise<ErasureAccount | undefined> {
    const [r] = await m.query<ErasureRow[]>(
      `SELECT recall_id, erased_at, erased, originator FROM ${this.table('erasure')} WHERE message_id = $1`,
      [itemId],
    );
    return r
      ? {
          messageId: itemId,
          recallId: r.recall_id,
          erasedAt: r.erased_at,
          erased: r.erased,
          ...(r.originator ? { originator: r.originator } : {}),
        }
      : undefined;
  }

  /**
   * Erases the node's copies of an item (its own copy and any forwarded copy of it) and every record derived
   * from them, in one transaction, and keeps the account of what was deleted. Asked again (a redelivered
   * recall, another recall of the same item), it deletes nothing more and returns the first account.
   * @param alsoErased what the node erased outside this store for the item (its handler's own records)
   * @returns the account, or undefined when the node holds nothing of the item and never erased it: there is
   *   then nothing it can state as erased
   */
  async erase(
    itemId: string,
    recallId: string,
    alsoErased: string[] = [],
  ): Promise<ErasureAccount | undefined> {
    // One erasure of an item at a time, whoever asks (the second finds the first's account), and never beside
    // the keeping of a copy of it.
    return this.withItem(itemId, async (m) => {
      const before = await this.erasureIn(m, itemId);
      if (before) return before;
      const [copies] = await m.query<Deleted<{ message_id: string; sender: string; received_at: Date }>>(
        `DELETE FROM ${this.table('holding')} WHERE item_id = $1 RETURNING message_id, sender, received_at`,
        [itemId],
      );
      copies.sort(
        (a, b) =>
          a.received_at.getTime() - b.received_at.getTime() || a.message_id.localeCompare(b.message_id),
      );
      const [derived] = await m.query<Deleted<{ kind: string; reference: string; recorded_at: Date }>>(
        `DELETE FROM ${this.table('derived_record')} WHERE message_id = ANY($1::uuid[])
         RETURNING kind, reference, recorded_at`,
        [[itemId, ...copies.map((c) => c.message_id)]],
      );
      const derivedRows = derived
        .map((r) => ({ at: r.recorded_at.getTime(), text: `${r.kind}:${r.reference}` }))
        .sort((a, b) => a.at - b.at || a.text.localeCompare(b.text))
        .map((r) => r.text);
      const erased = [
        ...copies.map((c) => (c.message_id === itemId ? ERASED_COPY : `${ERASED_FORWARD}:${c.message_id}`)),
        ...new Set([...derivedRows, ...alsoErased]),
      ];
      if (erased.length === 0) return undefined;
      // The receipt goes to the originator: the sender of the item's own copy (a forward's is the forwarder).
      const originator = copies.find((c) => c.message_id === itemId)?.sender;
      const [stored] = await m.query<Array<{ erased_at: Date }>>(
        `INSERT INTO ${this.table('erasure')} (message_id, recall_id, erased_at, erased, originator)
         VALUES ($1, $2, now(), $3, $4) RETURNING erased_at`,
        [itemId, recallId, erased, originator ?? null],
      );
      return {
        messageId: itemId,
        recallId,
        erasedAt: stored.erased_at,
        erased,
        ...(originator ? { originator } : {}),
      };
    });
  }

  async close(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
