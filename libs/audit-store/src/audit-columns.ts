import type { AuditRecord } from '#contracts';

/** The PostgreSQL type of an audit column, as the chain writer inserts it (`unnest($n::<type>[])`). */
export type AuditColumnType = 'int8' | 'uuid' | 'timestamptz' | 'text' | 'jsonb';

/** One column of `audit_entry`. */
export interface AuditColumn {
  /** Its name in SQL. */
  name: string;
  type: AuditColumnType;
  /**
   * The row format that put it in the hashed text: `v1` columns every row has had since the chain began
   * (the chaining migration reads exactly these), `v2` the publisher (see `AUDIT_ROW_FORMAT`).
   */
  format: 'v1' | 'v2';
}

/** A field of an audit row as auditors see it, and so a column of the table. */
export type AuditField = keyof AuditRecord;

/**
 * The columns of an audit row, once: every field of {@link AuditRecord} has one (a new field that lacks
 * one does not compile), in the order an export writes them. The select, insert and export lists of the
 * audit store are derived from it; only the hashed text, `canonicalAuditRow`, spells the fields out,
 * pinned by golden hashes. `prev_hash` and `row_hash` are the chain's own ({@link HASH_COLUMNS}).
 */
export const AUDIT_COLUMNS = {
  seq: { name: 'seq', type: 'int8', format: 'v1' },
  eventId: { name: 'event_id', type: 'uuid', format: 'v1' },
  publisher: { name: 'publisher', type: 'text', format: 'v2' },
  occurredAt: { name: 'occurred_at', type: 'timestamptz', format: 'v1' },
  recordedAt: { name: 'recorded_at', type: 'timestamptz', format: 'v1' },
  operation: { name: 'operation', type: 'text', format: 'v1' },
  actorNode: { name: 'actor_node', type: 'text', format: 'v1' },
  actorPerson: { name: 'actor_person', type: 'text', format: 'v1' },
  counterpartNode: { name: 'counterpart_node', type: 'text', format: 'v1' },
  messageId: { name: 'message_id', type: 'text', format: 'v1' },
  messageType: { name: 'message_type', type: 'text', format: 'v1' },
  handlingCode: { name: 'handling_code', type: 'text', format: 'v1' },
  tlp: { name: 'tlp', type: 'text', format: 'v1' },
  messageSha256: { name: 'message_sha256', type: 'text', format: 'v1' },
  rule: { name: 'rule', type: 'text', format: 'v1' },
  justification: { name: 'justification', type: 'text', format: 'v1' },
  correlationId: { name: 'correlation_id', type: 'text', format: 'v1' },
  detail: { name: 'detail', type: 'jsonb', format: 'v1' },
} as const satisfies Record<AuditField, AuditColumn>;

/** The fields in {@link AUDIT_COLUMNS} order. */
export const AUDIT_FIELDS = Object.keys(AUDIT_COLUMNS) as AuditField[];

/** The fields of row format `format`, in order. */
export const fieldsOfFormat = (format: AuditColumn['format']): AuditField[] =>
  AUDIT_FIELDS.filter((f) => AUDIT_COLUMNS[f].format === format);

/** The chain's own columns, after the row's. */
export const HASH_COLUMNS = ['prev_hash', 'row_hash'] as const;

/**
 * A column read exactly, as text: numbers and ids as PostgreSQL writes them, times as decimal microseconds
 * since the epoch (`extract(epoch …)` is numeric, so no digit is lost), the detail as jsonb text. The alias
 * never reuses the column's name, so `ORDER BY seq` beside it still orders by the number.
 */
export function exactText(field: AuditField): string {
  const { name, type } = AUDIT_COLUMNS[field];
  switch (type) {
    case 'int8':
    case 'uuid':
    case 'jsonb':
      return `${name}::text AS ${name}_text`;
    case 'timestamptz':
      return `(extract(epoch FROM ${name}) * 1000000)::int8::text AS ${name}_us`;
    case 'text':
      return name;
  }
}
