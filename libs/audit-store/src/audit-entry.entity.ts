import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One row of the audit trail: one operation in the sense of Law Enforcement Directive Art. 25 and Europol
 * Regulation Art. 40. Rows are only ever inserted, by one chain writer, each linked to the one before by
 * `prevHash` (see `AUDIT_ROW_FORMAT`). The table is partitioned by month of `recordedAt`.
 */
@Entity({ name: 'audit_entry' })
@Index('ix_audit_entry_event_id', ['eventId'])
@Index('ix_audit_entry_message_id', ['messageId'])
@Index('ix_audit_entry_actor_node', ['actorNode', 'occurredAt'])
@Index('ix_audit_entry_counterpart_node', ['counterpartNode', 'occurredAt'])
@Index('ix_audit_entry_actor_person', ['actorPerson', 'occurredAt'])
// An expression index on `detail ->> 'concerns'` (see TrailOfConcernedItem1764600000000), which TypeORM cannot
// describe: declared here only so that the schema builder leaves it alone.
@Index('ix_audit_entry_concerns', { synchronize: false })
export class AuditEntryEntity {
  /** Position in the trail, 1, 2, 3, … without gaps; assigned by the chain writer. */
  @PrimaryColumn({ type: 'bigint', name: 'seq', primaryKeyConstraintName: 'PK_audit_entry_seq_recorded_at' })
  seq!: string;

  /**
   * Deterministic id of the operation, chosen by its publisher. Exactly-once per (publisher, event id) is kept
   * by the primary key of `audit_event_id` (a partitioned table cannot have a unique key without its partition
   * key).
   */
  @Column({ type: 'uuid', name: 'event_id' })
  eventId!: string;

  /**
   * Who published the event: the last token of its subject `msx.audit.<publisher>`, which the broker lets only
   * that principal publish on (the audit service's own rows: `msx-audit`). Covered by the row hash (format
   * v2). Null only for rows stored before publishers were recorded (format v1).
   */
  @Column({ type: 'text', nullable: true })
  publisher!: string | null;

  @Column({ type: 'timestamptz', name: 'occurred_at' })
  occurredAt!: Date;

  /** When the chain writer stored the row; never earlier than the row before it. The partition key. */
  @PrimaryColumn({
    type: 'timestamptz',
    name: 'recorded_at',
    default: () => 'now()',
    primaryKeyConstraintName: 'PK_audit_entry_seq_recorded_at',
  })
  recordedAt!: Date;

  /** `submitted`, `rejected`, `delivered`, `withheld`, `received`, … */
  @Column({ type: 'text' })
  operation!: string;

  @Column({ type: 'text', name: 'actor_node' })
  actorNode!: string;

  @Column({ type: 'text', name: 'actor_person', nullable: true })
  actorPerson!: string | null;

  @Column({ type: 'text', name: 'counterpart_node', nullable: true })
  counterpartNode!: string | null;

  @Column({ type: 'text', name: 'message_id', nullable: true })
  messageId!: string | null;

  @Column({ type: 'text', name: 'message_type', nullable: true })
  messageType!: string | null;

  @Column({ type: 'text', name: 'handling_code', nullable: true })
  handlingCode!: string | null;

  @Column({ type: 'text', nullable: true })
  tlp!: string | null;

  /** SHA-256 (hex) of the exact message bytes the actor received. */
  @Column({ type: 'char', length: 64, name: 'message_sha256', nullable: true })
  messageSha256!: string | null;

  /** The rule or error code that decided. */
  @Column({ type: 'text', nullable: true })
  rule!: string | null;

  @Column({ type: 'text', nullable: true })
  justification!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  detail!: Record<string, unknown>;

  @Column({ type: 'text', name: 'correlation_id', nullable: true })
  correlationId!: string | null;

  /** `rowHash` of the row before (hex SHA-256), or 64 zeros for the first row. */
  @Column({ type: 'char', length: 64, name: 'prev_hash' })
  prevHash!: string;

  /** Hex SHA-256 of the canonical serialization of this row, `prevHash` included. */
  @Column({ type: 'char', length: 64, name: 'row_hash' })
  rowHash!: string;
}
