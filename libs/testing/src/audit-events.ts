import {
  decodeAuditEvent,
  decodeAuditEventBatch,
  decodeEnvelope,
  encodeEnvelope,
  signDelivery,
  uuidv7,
  type AuditEvent,
  type DeliveryDecision,
  type DeliverySigner,
  type Envelope,
} from '#contracts';
import { Headers, publishDurably, Streams, Subjects, type Bus } from '#messaging';

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

/** Writes a copy of `envelope` into `node`'s inbox as the router would: vouched for with `signer`. */
export async function deliverVouched(
  bus: Bus,
  signer: DeliverySigner,
  node: string,
  envelope: Envelope,
  decision: DeliveryDecision = 'delivered',
): Promise<void> {
  const bytes = encodeEnvelope(envelope);
  await publishDurably(bus.js, Subjects.deliver(node), bytes, {
    msgID: uuidv7(),
    headers: signDelivery(signer, envelope.id, node, bytes, decision),
  });
}

/** Every envelope `node` submitted on its own subject, in order. */
export async function submittedBy(bus: Bus, node: string): Promise<Envelope[]> {
  const state = (await bus.jsm.streams.info(Streams.submit)).state;
  const out: Envelope[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await bus.jsm.streams.getMessage(Streams.submit, { seq }).catch(() => null);
    if (m && m.subject === Subjects.submit(node)) out.push(decodeEnvelope(m.data));
  }
  return out;
}
