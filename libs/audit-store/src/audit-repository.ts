import type { DataSource } from 'typeorm';
import { handlingLabel, MsxError, operationLabel, timestampMs, tlpLabel, type AuditEvent } from '#contracts';
import { canonicalJson, GENESIS_HASH, msToUs, type ChainedFields } from './audit-chain.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { LEGACY_PUBLISHER } from './audit-event-id.entity.js';
import { auditRoles } from './audit-roles.js';
import { chainRows, insertChainedRows, usToIso, type SqlRunner } from './chained-row.js';
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

/**
 * Writes and reads audit rows. The only writer of the trail: inserts only, one chain.
 */
export class AuditRepository {
  readonly schema: string;
  private readonly writerRole: string;

  constructor(private readonly ds: DataSource) {
    this.schema = (ds.options as { schema?: string }).schema ?? 'public';
    this.writerRole = auditRoles(this.schema).writer;
  }

  /**
   * Appends a batch to the chain in one transaction, as the writer role and under the chain's advisory lock
   * (one chain writer even with several audit processes): events whose (publisher, event id) is already
   * stored are dropped, the rest get the next seqs, are hashed in order onto the head and inserted with one
   * statement. A redelivered batch inserts nothing; the same event id from another publisher is another row,
   * so no party can make another publisher's event be dropped. Resolves only after commit.
   * @returns how many rows were new
   * @throws MsxError `AUDIT.PUBLISHER_MISSING` (permanent) for an event without publisher, before anything is
   *   written; `AUDIT.STORE_UNAVAILABLE` (a hold: retried without limit) or `AUDIT.STORE_REJECTED`
   */
  async append(events: readonly PublishedAuditEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    try {
      return await this.ds.transaction(async (m) => (await this.appendIn(m, events)).inserted);
    } catch (err) {
      throw classifyStorageError(err);
    }
  }

  /**
   * {@link append} inside the caller's transaction (the retention command audits itself this way). Takes the
   * chain lock and switches to the writer role for the rest of the transaction.
   */
  async appendIn(
    runner: SqlRunner,
    events: readonly PublishedAuditEvent[],
  ): Promise<{ inserted: number; head: ChainHead }> {
    checkPublishers(events);
    const s = this.schema;
    const nowUs = msToUs(Date.now());
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
       SELECT f.publishers, f.event_ids, h.seq::text AS seq, h.row_hash,
              (extract(epoch FROM h.recorded_at) * 1000000)::int8::text AS recorded_at_us
         FROM (SELECT array_agg(publisher) AS publishers, array_agg(event_id::text) AS event_ids FROM fresh) f
         LEFT JOIN LATERAL (
           SELECT seq, row_hash, recorded_at FROM "${s}"."audit_entry" ORDER BY seq DESC LIMIT 1) h ON true`,
      [events.map((e) => e.publisher), events.map((e) => e.event.eventId), LEGACY_PUBLISHER],
    )) as {
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
    const fresh = new Set((state.event_ids ?? []).map((id, i) => keyOf(state.publishers![i], id)));
    if (fresh.size === 0) return { inserted: 0, head };

    // Never earlier than the row before: partitions then hold contiguous stretches of the chain.
    const recordedAtUs =
      head.recordedAtUs !== null && BigInt(head.recordedAtUs) > BigInt(nowUs) ? head.recordedAtUs : nowUs;
    const fields: ChainedFields[] = [];
    for (const e of events) {
      if (!fresh.delete(keyOf(e.publisher, e.event.eventId))) continue; // stored before, or a repeat within the batch
      fields.push(toChainedFields(e, head.treeSize + BigInt(fields.length + 1), recordedAtUs));
    }
    const rows = chainRows(head.headHash, fields);
    await insertChainedRows(runner, s, rows);
    const last = rows[rows.length - 1];
    return {
      inserted: rows.length,
      head: { treeSize: BigInt(last.fields.seq), headHash: last.rowHash, recordedAtUs },
    };
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
