import { Entity, PrimaryColumn } from 'typeorm';

/**
 * Every event id ever stored in the trail: the unique key that keeps the trail exactly-once. It is not
 * partitioned and outlives retention, so an old event redelivered after its partition was dropped is still
 * recognised.
 */
@Entity({ name: 'audit_event_id' })
export class AuditEventIdEntity {
  @PrimaryColumn({ type: 'uuid', name: 'event_id', primaryKeyConstraintName: 'PK_audit_event_id' })
  eventId!: string;
}
