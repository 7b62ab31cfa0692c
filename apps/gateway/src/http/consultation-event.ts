import { AuditOperation, newAuditEvent, uuidv7, type AuditEvent } from '#contracts';

/** A read at the gateway as the trail records it: who read, what, under which rule, and its detail. */
export type Consultation = Omit<Partial<AuditEvent>, '$typeName' | 'eventId' | 'operation' | 'detailJson'> &
  Pick<AuditEvent, 'actorNode' | 'rule' | 'correlationId'> & { detail: Record<string, unknown> };

/**
 * The trail's row (`consulted`) of a read at the gateway: an inbox entry, an item, its receipts or forward, a
 * preview, an audit query. Each read is a row of its own, under an id of its own: reading twice is recorded
 * twice.
 */
export function consultationEvent({ detail, ...fields }: Consultation): AuditEvent {
  return newAuditEvent({
    eventId: uuidv7(),
    operation: AuditOperation.CONSULTED,
    ...fields,
    detailJson: JSON.stringify(detail),
  });
}
