import { Entity, PrimaryColumn } from 'typeorm';

/**
 * Every (publisher, event id) ever stored in the trail: the unique key that keeps the trail exactly-once per
 * publisher, so no party can make another publisher's event be skipped by using its id first. It is not
 * partitioned and outlives retention, so an old event redelivered after its partition was dropped is still
 * recognised.
 */
@Entity({ name: 'audit_event_id' })
export class AuditEventIdEntity {
  /**
   * The authenticated publisher (`msx.audit.<publisher>`); `''` ({@link LEGACY_PUBLISHER}) for ids stored
   * before publishers were recorded, which count as taken for every publisher.
   */
  @PrimaryColumn({ type: 'text', name: 'publisher', primaryKeyConstraintName: 'PK_audit_event_id' })
  publisher!: string;

  @PrimaryColumn({ type: 'uuid', name: 'event_id', primaryKeyConstraintName: 'PK_audit_event_id' })
  eventId!: string;
}

/** The publisher of the event ids stored before publishers were recorded; no subject token is empty. */
export const LEGACY_PUBLISHER = '';
