/**
 * What auditors ask of the audit trail and what they get back: the shapes that cross from the gateway to
 * the audit service and on to the auditor. The audit store answers them; the gateway only passes them on.
 */

/** One audit row as auditors see it; times are RFC 3339 in UTC with microseconds, `seq` is a decimal string. */
export interface AuditRecord {
  seq: string;
  eventId: string;
  /** Who published the event (`msx.audit.<publisher>`); null for rows stored before it was recorded. */
  publisher: string | null;
  occurredAt: string;
  recordedAt: string;
  operation: string;
  actorNode: string;
  actorPerson: string | null;
  counterpartNode: string | null;
  messageId: string | null;
  messageType: string | null;
  handlingCode: string | null;
  tlp: string | null;
  messageSha256: string | null;
  rule: string | null;
  justification: string | null;
  detail: Record<string, unknown>;
  correlationId: string | null;
}

/** A page of results; `nextCursor` is null on the last page, and otherwise is passed back as `cursor`. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The trail of one message across every party, in the order it was recorded. */
export interface TrailQuery {
  messageId: string;
  cursor?: string;
  limit?: number;
}

/** Operations from one party towards another in `[since, until)`, counted by operation, type and handling code. */
export interface FlowsQuery {
  from: string;
  to: string;
  /** RFC 3339, inclusive. */
  since: string;
  /** RFC 3339, exclusive. */
  until: string;
  cursor?: string;
  limit?: number;
}

/** One officer's operations, in time order, optionally limited to `[since, until)`. */
export interface OfficerActivityQuery {
  officer: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

/** One group of a flow: how many operations of this kind went from `from` to `to`. */
export interface FlowCount {
  operation: string;
  messageType: string | null;
  handlingCode: string | null;
  count: number;
}

export interface FlowsPage extends Page<FlowCount> {
  from: string;
  to: string;
  since: string;
  until: string;
}

/** A witness node that confirmed a checkpoint: it took it after checking its signature and syncing it to disk. */
export interface WitnessConfirmation {
  /** The party keeping the checkpoints, e.g. `jot-mare`. */
  node: string;
  /** RFC 3339. */
  confirmedAt: string;
}

/**
 * The chain's verification status as the audit service last checked it (`GET /v1/audit/chain`): `unverified`
 * until its first check has finished, `broken` once any check found a row or checkpoint that does not match.
 * Seqs are decimal strings, times RFC 3339 in UTC.
 */
export interface ChainStatus {
  status: 'intact' | 'broken' | 'unverified';
  /** When the last check finished. */
  checkedAt: string | null;
  /** The last row verified in order from the trail's first, and when it was recorded. */
  verifiedThrough: { seq: string; recordedAt: string } | null;
  /** Rows verified in order from the trail's first, up to `verifiedThrough`. */
  rows: number;
  /** The first bad row (or checkpoint size) found, and what does not match. */
  firstBreak: { seq: string; reason: string } | null;
  /** The stored checkpoint with the largest size, and the witnesses that confirmed it. */
  lastCheckpoint: {
    seq: string;
    rowHash: string;
    signedAt: string;
    witnesses: WitnessConfirmation[];
  } | null;
}

/** The formats of an export: JSON Lines or CSV (RFC 4180, with a header line). */
export type ExportFormat = 'jsonl' | 'csv';

/** One page of the rows recorded in `[since, until)`, asked for by the gateway until `nextCursor` is null. */
export interface ExportQuery {
  /** RFC 3339, inclusive. */
  since: string;
  /** RFC 3339, exclusive. */
  until: string;
  format: ExportFormat;
  /** Absent for the first page; then the `nextCursor` of the page before. */
  cursor?: string;
}

/** A page of an export: the rows as text, ready to be sent on; the first page of a CSV export starts with the header. */
export interface ExportPage {
  /** The period as understood, RFC 3339 in UTC with milliseconds. */
  since: string;
  until: string;
  format: ExportFormat;
  text: string;
  /** Rows in `text`. */
  rows: number;
  /** Rows of the whole export: those recorded in the period when its first page was asked for. */
  total: number;
  nextCursor: string | null;
}
