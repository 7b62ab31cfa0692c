import { decodeAuditEvent, decodeAuditEventBatch, type AuditEvent } from '#contracts';
import { Headers, Streams, Subjects, type Bus } from '#messaging';

/** Every audit event `publisher` published on its own audit subject, in order, single and batched alike. */
export async function publishedAuditEvents(bus: Bus, publisher: string): Promise<AuditEvent[]> {
  const state = (await bus.jsm.streams.info(Streams.audit)).state;
  const events: AuditEvent[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await bus.jsm.streams.getMessage(Streams.audit, { seq });
    if (!m || m.subject !== Subjects.audit(publisher)) continue;
    events.push(
      ...(m.header?.has(Headers.auditBatch) ? decodeAuditEventBatch(m.data) : [decodeAuditEvent(m.data)]),
    );
  }
  return events;
}
