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
