import type { DataSource } from 'typeorm';
import { handlingLabel, MsxError, operationLabel, timestampMs, tlpLabel, type AuditEvent } from '#contracts';
import { canonicalJson, GENESIS_HASH, msToUs, type ChainedFields } from './audit-chain.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { LEGACY_PUBLISHER } from './audit-event-id.entity.js';
import { auditRoles } from './audit-roles.js';
import {
  arrayLiteral,
  chainedInsert,
  chainRows,
  insertChainedRows,
  usToIso,
  type ChainedInsert,
  type ChainedRow,
  type SqlRunner,
} from './chained-row.js';
import { classifyStorageError } from './storage-errors.js';

function orNull(s: string): string | null {
  return s === '' ? null : s;
}

function detailOf(e: AuditEvent): Record<string, unknown> {
  if (!e.detailJson) return {};
  try {
    const parsed: unknown = JSON.parse(e.detailJson);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
    return { value: parsed };
  } catch {
    return { unparsedDetail: e.detailJson.slice(0, 2000) };
  }
}

/**
 * An audit event as the audit service received it, with who published it. An event is identified by
 * (publisher, event id): the same id from two publishers is two events.
 */
export interface PublishedAuditEvent {
  /**
   * The authenticated publisher: the last token of the subject `msx.audit.<publisher>` that carried the event
   * (only that principal may publish there), or {@link AUDIT_NODE} for the audit service's own.
   */
  publisher: string;
  event: AuditEvent;
}

/** Maps a bus event to the row shape (without the chain columns, which the chain writer adds). */
export function toAuditRow({
  publisher,
  event: e,
}: PublishedAuditEvent): Omit<AuditEntryEntity, 'seq' | 'recordedAt' | 'prevHash' | 'rowHash'> {
  return {
    eventId: e.eventId,
    publisher,
    occurredAt: new Date(e.occurredAt ? timestampMs(e.occurredAt) : Date.now()),
    operation: operationLabel(e.operation),
    actorNode: e.actorNode,
    actorPerson: orNull(e.actorPerson),
    counterpartNode: orNull(e.counterpartNode),
    messageId: orNull(e.messageId),
    messageType: orNull(e.messageType),
    handlingCode: handlingLabel(e.handlingCode),
    tlp: tlpLabel(e.tlp),
    messageSha256: orNull(e.messageSha256),
    rule: orNull(e.rule),
    justification: orNull(e.justification),
    detail: detailOf(e),
    correlationId: orNull(e.correlationId),
  };
}

/** The chained fields (format v2) of an event stored as row `seq` at `recordedAtUs` (microseconds, decimal). */
export function toChainedFields(p: PublishedAuditEvent, seq: bigint, recordedAtUs: string): ChainedFields {
  const e = p.event;
  const row = toAuditRow(p);
  const occurredAtUs = e.occurredAt
    ? (e.occurredAt.seconds * 1_000_000n + BigInt(Math.floor(e.occurredAt.nanos / 1000))).toString()
    : recordedAtUs;
  return {
    seq: seq.toString(),
    eventId: row.eventId.toLowerCase(),
    occurredAtUs,
    recordedAtUs,
    operation: row.operation,
    actorNode: row.actorNode,
    actorPerson: row.actorPerson,
    counterpartNode: row.counterpartNode,
    messageId: row.messageId,
    messageType: row.messageType,
    handlingCode: row.handlingCode,
    tlp: row.tlp,
    messageSha256: row.messageSha256,
    rule: row.rule,
    justification: row.justification,
    correlationId: row.correlationId,
    detail: canonicalJson(row.detail),
    publisher: p.publisher,
  };
}

/** The key of an event in `audit_event_id`, as text. */
const keyOf = (publisher: string, eventId: string) => `${publisher}\n${eventId.toLowerCase()}`;

/** The last row of the chain: how many rows it has and the hash a checkpoint signs. */
export interface ChainHead {
  /** Seq of the last row; 0 for an empty trail. */
  treeSize: bigint;
  /** `row_hash` of the last row, or {@link GENESIS_HASH}. */
  headHash: string;
  /** `recorded_at` of the last row in microseconds, or null for an empty trail. */
  recordedAtUs: string | null;
}

/** Arbitrary first key of the chain writer's advisory lock (the second is a hash of the schema name). */
const CHAIN_LOCK_CLASS = 0x4d53_5841; // "MSXA"

/** A batch chained before its transaction, onto the head the batch before it will leave. */
interface HashedAhead {
  /** The head the rows were chained onto. */
  onto: ChainHead;
  /** One row per distinct (publisher, event id) of the batch, in order. */
  rows: ChainedRow[];
  insert: ChainedInsert;
  /** The head after these rows. */
  end: ChainHead;
}

/** How the batches appended so far were chained. */
export interface AppendCounts {
  /** Chained ahead, while the batch before was being written, and stored as chained. */
  hashedAhead: number;
  /**
   * Chained inside their transaction: the first batch, or the head was not the one expected (another
   * writer, a failed batch before) or some of its events were stored before.
   */
  hashedUnderLock: number;
}

/**
 * Writes and reads audit rows. The only writer of the trail: inserts only, one chain.
 */
export class AuditRepository {
  readonly schema: string;
  private readonly writerRole: string;
  /**
   * The last batch handed to {@link append}: the head it is to leave once its transaction starts (none when
   * it is chained under the lock), and the head it left once committed (none when it failed).
   */
  private tail: { started: Promise<ChainHead | undefined>; committed: Promise<ChainHead | undefined> } = {
    started: Promise.resolve(undefined),
    committed: Promise.resolve(undefined),
  };
  private readonly counts: AppendCounts = { hashedAhead: 0, hashedUnderLock: 0 };

  constructor(private readonly ds: DataSource) {
    this.schema = (ds.options as { schema?: string }).schema ?? 'public';
    this.writerRole = auditRoles(this.schema).writer;
  }

  /** How the batches appended so far were chained. */
  get appendCounts(): Readonly<AppendCounts> {
    return { ...this.counts };
  }

  /**
   * Appends a batch to the chain in one transaction, as the writer role and under the chain's advisory lock
   * (one chain writer even with several audit processes): events whose (publisher, event id) is already
   * stored are dropped, the rest get the next seqs, are hashed in order onto the head and inserted with one
   * statement. A redelivered batch inserts nothing; the same event id from another publisher is another row,
   * so no party can make another publisher's event be dropped. Resolves only after commit.
   *
   * Batches may be handed over before the one before is committed: they are committed in the order given,
   * one transaction at a time, and each is hashed while the one before is written, onto the head that one
   * leaves. The transaction checks under the lock that the stored head is that head and that every event is
   * new, and hashes the batch again onto the stored head when not, so the chain never depends on the guess.
   * @returns how many rows were new
   * @throws MsxError `AUDIT.PUBLISHER_MISSING` (permanent) for an event without publisher, before anything is
   *   written; `AUDIT.STORE_UNAVAILABLE` (a hold: retried without limit) or `AUDIT.STORE_REJECTED`
   */
  async append(events: readonly PublishedAuditEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    checkPublishers(events);
    // Everything up to the first await runs at the call: batches take their places in the order given.
    const before = this.tail;
    let started!: (end: ChainHead | undefined) => void;
    let committed!: (end: ChainHead | undefined) => void;
    this.tail = {
      started: new Promise((resolve) => (started = resolve)),
      committed: new Promise((resolve) => (committed = resolve)),
    };
    let end: ChainHead | undefined;
    try {
      // Hashed while the batch before is written, onto the head it is to leave ...
      const expected = await before.started;
      let ahead = expected && hashAhead(this.schema, events, expected);
      // ... and again onto the head it did leave, when that is another (it failed, or was chained again).
      const stored = await before.committed;
      if (!stored) ahead = undefined;
      else if (!ahead || !sameHead(stored, expected!)) ahead = hashAhead(this.schema, events, stored);
      started(ahead?.end);
      const r = await this.ds.transaction((m) => this.appendIn(m, events, ahead));
      this.counts[r.hashedAhead ? 'hashedAhead' : 'hashedUnderLock']++;
      end = r.head;
      return r.inserted;
    } catch (err) {
      throw classifyStorageError(err);
    } finally {
      // Without a head the next batch is chained under the lock, onto the stored head.
      started(undefined);
      committed(end);
    }
  }

  /**
   * {@link append} inside the caller's transaction (the retention command audits itself this way). Takes the
   * chain lock and switches to the writer role for the rest of the transaction.
   * @param ahead the batch hashed ahead onto the head expected now: inserted as it is when that is the
   *   stored head and every event is new
   */
  async appendIn(
    runner: SqlRunner,
    events: readonly PublishedAuditEvent[],
    ahead?: HashedAhead,
  ): Promise<{ inserted: number; head: ChainHead; hashedAhead: boolean }> {
    checkPublishers(events);
    const s = this.schema;
    const nowUs = ahead?.end.recordedAtUs ?? msToUs(Date.now());
    await runner.query(
      `SET LOCAL ROLE "${this.writerRole}";
       SELECT pg_advisory_xact_lock(${CHAIN_LOCK_CLASS}, hashtext('${s}'));
       SELECT "${s}".audit_ensure_partition('${usToIso(nowUs)}')`,
    );
    // An id stored before publishers were recorded counts as taken for every publisher (no one can add any).
    const [state] = (await runner.query(
      `WITH fresh AS (
         INSERT INTO "${s}"."audit_event_id" (publisher, event_id)
         SELECT e.publisher, e.event_id FROM unnest($1::text[], $2::uuid[]) AS e(publisher, event_id)
          WHERE NOT EXISTS (SELECT FROM "${s}"."audit_event_id" l
                             WHERE l.publisher = $3 AND l.event_id = e.event_id)
         ON CONFLICT DO NOTHING RETURNING publisher, event_id)
       SELECT f.count, f.publishers, f.event_ids, h.seq::text AS seq, h.row_hash,
              (extract(epoch FROM h.recorded_at) * 1000000)::int8::text AS recorded_at_us
         FROM (SELECT count(*) AS count, array_agg(publisher) AS publishers, array_agg(event_id::text) AS event_ids
                 FROM fresh) f
         LEFT JOIN LATERAL (
           SELECT seq, row_hash, recorded_at FROM "${s}"."audit_entry" ORDER BY seq DESC LIMIT 1) h ON true`,
      [
        arrayLiteral(events.map((e) => e.publisher)),
        arrayLiteral(events.map((e) => e.event.eventId)),
        LEGACY_PUBLISHER,
      ],
    )) as {
      count: string;
      publishers: string[] | null;
      event_ids: string[] | null;
      seq: string | null;
      row_hash: string | null;
      recorded_at_us: string | null;
    }[];
    const head: ChainHead = {
      treeSize: BigInt(state.seq ?? '0'),
      headHash: state.row_hash ?? GENESIS_HASH,
      recordedAtUs: state.recorded_at_us,
    };
    if (
      ahead &&
      Number(state.count) === ahead.rows.length &&
      head.treeSize === ahead.onto.treeSize &&
      head.headHash === ahead.onto.headHash
    ) {
      await runner.query(ahead.insert.sql, ahead.insert.params);
      return { inserted: ahead.rows.length, head: ahead.end, hashedAhead: true };
    }

    const fresh = new Set((state.event_ids ?? []).map((id, i) => keyOf(state.publishers![i], id)));
    if (fresh.size === 0) return { inserted: 0, head, hashedAhead: false };
    const { rows, end } = chain(
      events.filter((e) => fresh.delete(keyOf(e.publisher, e.event.eventId))), // stored before, or a repeat within the batch
      head,
      msToUs(Date.now()),
    );
    await insertChainedRows(runner, s, rows);
    return { inserted: rows.length, head: end, hashedAhead: false };
  }

  /** The current head of the chain (committed rows only). */
  async head(): Promise<ChainHead> {
    try {
      const [h] = await this.ds.query<{ size: string; row_hash: string; us: string }[]>(
        `SELECT seq::text AS size, row_hash, (extract(epoch FROM recorded_at) * 1000000)::int8::text AS us
           FROM "${this.schema}"."audit_entry" ORDER BY audit_entry.seq DESC LIMIT 1`,
      );
      return h
        ? { treeSize: BigInt(h.size), headHash: h.row_hash, recordedAtUs: h.us }
        : { treeSize: 0n, headHash: GENESIS_HASH, recordedAtUs: null };
    } catch (err) {
      throw classifyStorageError(err);
    }
  }

  /** Every row about one message, in trail order. */
  async trailOf(messageId: string): Promise<AuditEntryEntity[]> {
    try {
      return await this.ds
        .getRepository(AuditEntryEntity)
        .find({ where: { messageId }, order: { seq: 'ASC' } });
    } catch (err) {
      throw classifyStorageError(err);
    }
  }
}

/** @throws MsxError `AUDIT.PUBLISHER_MISSING` (permanent) when an event has no publisher */
function checkPublishers(events: readonly PublishedAuditEvent[]): void {
  const missing = events.find((e) => typeof e.publisher !== 'string' || e.publisher === LEGACY_PUBLISHER);
  if (missing)
    throw new MsxError(
      'AUDIT.PUBLISHER_MISSING',
      `audit event ${missing.event.eventId} has no publisher: every event is recorded under the one that published it`,
    );
}

/**
 * Chains `events` (each new, in order) onto `head`, recorded at `nowUs` or, never earlier than the row
 * before, at the head's time: partitions then hold contiguous stretches of the chain.
 */
function chain(
  events: readonly PublishedAuditEvent[],
  head: ChainHead,
  nowUs: string,
): { rows: ChainedRow[]; end: ChainHead } {
  const recordedAtUs =
    head.recordedAtUs !== null && BigInt(head.recordedAtUs) > BigInt(nowUs) ? head.recordedAtUs : nowUs;
  const fields = events.map((e, i) => toChainedFields(e, head.treeSize + BigInt(i + 1), recordedAtUs));
  const rows = chainRows(head.headHash, fields);
  const last = rows[rows.length - 1];
  return {
    rows,
    end: last ? { treeSize: BigInt(last.fields.seq), headHash: last.rowHash, recordedAtUs } : head,
  };
}

/** A batch chained onto `onto` as if each of its events were new (repeats within it dropped). */
function hashAhead(schema: string, events: readonly PublishedAuditEvent[], onto: ChainHead): HashedAhead {
  const seen = new Set<string>();
  const distinct = events.filter((e) => {
    const key = keyOf(e.publisher, e.event.eventId);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const { rows, end } = chain(distinct, onto, msToUs(Date.now()));
  return { onto, rows, insert: chainedInsert(schema, rows), end };
}

function sameHead(a: ChainHead, b: ChainHead): boolean {
  return a.treeSize === b.treeSize && a.headHash === b.headHash && a.recordedAtUs === b.recordedAtUs;
}
