import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One row of the audit trail: one operation in the sense of Law Enforcement Directive Art. 25 and Europol
 * Regulation Art. 40. Rows are only ever inserted.
 */
@Entity({ name: 'audit_entry' })
@Index('uq_audit_entry_event_id', ['eventId'], { unique: true })
@Index('ix_audit_entry_message_id', ['messageId'])
@Index('ix_audit_entry_actor_node', ['actorNode', 'occurredAt'])
@Index('ix_audit_entry_counterpart_node', ['counterpartNode', 'occurredAt'])
@Index('ix_audit_entry_actor_person', ['actorPerson', 'occurredAt'])
export class AuditEntryEntity {
  /** Position in the trail, in insertion order. */
  @PrimaryGeneratedColumn({ type: 'bigint', name: 'seq' })
  seq!: string;

  /** Deterministic id of the operation: a redelivered event hits the unique key and is not stored twice. */
  @Column({ type: 'uuid', name: 'event_id' })
  eventId!: string;

  @Column({ type: 'timestamptz', name: 'occurred_at' })
  occurredAt!: Date;

  @Column({ type: 'timestamptz', name: 'recorded_at', default: () => 'now()' })
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
}
