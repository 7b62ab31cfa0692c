import { Inject, Injectable, Logger } from '@nestjs/common';
import { encodeEnvelope, envelopeFromJson, MsxError, uuidv7, ContractViolationError } from '#contracts';
import { Headers, publishDurably, Subjects, type Bus } from '#messaging';
import { AuditGate, BUS } from '#runtime';
import { actingOfficer } from '../auth/officer-binding.js';

/** How long one publish attempt waits for the submit stream's ack, in milliseconds. */
const PUBLISH_TIMEOUT_MS = 2_000;

/** What the gateway answers for an accepted submission. */
export interface SubmitResult {
  id: string;
  /** `accepted`, or `duplicate` when the same envelope id was already submitted (nothing is published twice). */
  status: 'accepted' | 'duplicate';
  correlationId: string;
}

/**
 * Completes an officer's envelope with what the gateway vouches for (sender; id and creation time when
 * absent), checks every contract rule, and publishes it on the node's submit subject. Nothing is published
 * unless every rule holds.
 * @throws MsxError `GATEWAY.SENDER_MISMATCH` for another node's sender
 * @throws OfficerNotOfNodeError `GATEWAY.OFFICER_NOT_OF_NODE` for an author who is not an officer of `node`
 */
export function completeEnvelopeJson(
  json: unknown,
  node: string,
  nowMs: number,
  holder?: string,
): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ContractViolationError([
      { field: '', rule: 'jsonObject', message: 'the body must be a JSON object (an msx.v1.Envelope)' },
    ]);
  }
  const obj = { ...(json as Record<string, unknown>) };
  if (obj.sender !== undefined && obj.sender !== node) {
    throw new MsxError('GATEWAY.SENDER_MISMATCH', `sender must be your own node (${node}) or left out`);
  }
  obj.sender = node;
  // The author is recorded as the person acting: the holder of a personal credential, or for a node's
  // system credential an officer of its node. A missing or non-text author is left to the contract check (400).
  if (holder !== undefined) obj.author = actingOfficer(obj.author, node, 'author', holder);
  else if (typeof obj.author === 'string' && obj.author !== '')
    actingOfficer(obj.author, node, 'author', undefined);
  // Deduplication compares ids as text: keep them in the canonical lower case.
  obj.id = typeof obj.id === 'string' ? obj.id.toLowerCase() : (obj.id ?? uuidv7(nowMs));
  obj.createdAt ??= new Date(nowMs).toISOString();
  return obj;
}

@Injectable()
export class SubmitMessageHandler {
  private readonly logger = new Logger('SubmitMessage');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    private readonly auditGate: AuditGate,
  ) {}

  /** @param holder the officer of a personal credential: the author, whom the body may name or leave out */
  async submit(json: unknown, node: string, correlationId: string, holder?: string): Promise<SubmitResult> {
    const envelope = envelopeFromJson(completeEnvelopeJson(json, node, Date.now(), holder));
    // After validation, so a bad report still gets its specific 400; before publishing, so nothing is
    // accepted that the audit trail cannot record (AUDIT.UNAVAILABLE, 503 with Retry-After).
    this.auditGate.check();
    const ack = await publishDurably(this.bus.js, Subjects.submit(node), encodeEnvelope(envelope), {
      msgID: envelope.id,
      headers: { [Headers.correlationId]: correlationId },
      // An officer waits on the answer: refuse with "retry later" within seconds rather than hang.
      attempts: 2,
      timeoutMs: PUBLISH_TIMEOUT_MS,
    });
    this.logger.log(
      `${node} submitted ${envelope.payload.case} ${envelope.id}${ack.duplicate ? ' (duplicate)' : ''} [${correlationId}]`,
    );
    return { id: envelope.id, status: ack.duplicate ? 'duplicate' : 'accepted', correlationId };
  }
}
