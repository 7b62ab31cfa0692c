import { Entity, PrimaryColumn } from 'typeorm';

/**
 * Every seq ever stored in the trail, once: what makes a seq name exactly one row. `audit_entry` cannot have
 * a unique key on `seq` alone (on a table partitioned by `recorded_at` every unique key must include it), so
 * a trigger on `audit_entry` that the writer can neither skip nor disable claims each inserted seq here (see
 * OneRowPerSeq1764600000001). It is not partitioned and outlives retention, so a seq dropped by retention can
 * never be stored again either.
 */
@Entity({ name: 'audit_seq' })
export class AuditSeqEntity {
  @PrimaryColumn({ type: 'bigint', name: 'seq', primaryKeyConstraintName: 'PK_audit_seq' })
  seq!: string;
}
