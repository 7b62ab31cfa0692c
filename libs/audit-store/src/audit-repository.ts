import type { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { handlingLabel, operationLabel, timestampMs, tlpLabel, type AuditEvent } from '#contracts';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { classifyStorageError } from './storage-errors.js';

function orNull(s: string): string | null {
  return s === '' ? null : s;
}

/** Maps a bus event to the row shape. */
export function toAuditRow(e: AuditEvent): Omit<AuditEntryEntity, 'seq' | 'recordedAt'> {
  let detail: Record<string, unknown> = {};
  if (e.detailJson) {
    try {
      detail = JSON.parse(e.detailJson) as Record<string, unknown>;
    } catch {
      detail = { unparsedDetail: e.detailJson.slice(0, 2000) };
    }
  }
  return {
    eventId: e.eventId,
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
    detail,
    correlationId: orNull(e.correlationId),
  };
}

/** Writes and reads audit rows. The only writer of the trail; inserts only. */
export class AuditRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Inserts a batch in one transaction; events already stored (same event id) are skipped, so a redelivered
   * batch is harmless. Resolves only after commit.
   * @returns how many rows were new
   * @throws MsxError `AUDIT.STORE_UNAVAILABLE` (retryable) or `AUDIT.STORE_REJECTED`
   */
  async append(events: readonly AuditEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    try {
      const result = await this.ds
        .createQueryBuilder()
        .insert()
        .into(AuditEntryEntity)
        .values(events.map(toAuditRow) as QueryDeepPartialEntity<AuditEntryEntity>[])
        .orIgnore()
        .returning(['seq'])
        .execute();
      return (result.raw as unknown[]).length;
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
