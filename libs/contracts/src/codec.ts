import { create, fromBinary, fromJson, toBinary, toJson, type JsonValue } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  AuditEventBatchSchema,
  AuditEventSchema,
  AuditStatusSchema,
  type AuditEvent,
  type AuditStatus,
} from './gen/msx/v1/audit_pb.js';
import { EnvelopeSchema, type Envelope } from './gen/msx/v1/envelope_pb.js';
import { ContractViolationError, type Violation } from './errors.js';
import { RULE } from './validation/rule-names.js';
import { assertValidEnvelopeJson } from './validation/index.js';

/** Wire bytes of an envelope. */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return toBinary(EnvelopeSchema, envelope);
}

/** The canonical JSON form of an envelope (what the gateway accepts and the validator checks). */
export function envelopeToJson(envelope: Envelope): JsonValue {
  return toJson(EnvelopeSchema, envelope);
}

/**
 * Decodes wire bytes and checks every contract rule.
 * @throws ContractViolationError (`CONTRACT.INVALID`) naming each broken field and rule; an undecodable
 *   message is reported with rule `protobufDecode`.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  let envelope: Envelope;
  try {
    envelope = fromBinary(EnvelopeSchema, bytes);
  } catch (err) {
    throw new ContractViolationError([
      {
        field: '',
        rule: 'protobufDecode',
        message: `not a valid msx.v1.Envelope: ${(err as Error).message}`,
      },
    ]);
  }
  const unknown = unknownFieldsOf(envelope, '');
  if (unknown.length > 0) throw new ContractViolationError(unknown);
  assertValidEnvelopeJson(envelopeToJson(envelope));
  return envelope;
}

/**
 * A field number the contract does not define, anywhere in a decoded message. Refused, never passed on:
 * such bytes would travel to every recipient unchecked by any rule, and make the same intelligence hash
 * differently, so that the rules on re-published intelligence would not recognise it.
 */
function unknownFieldsOf(value: unknown, path: string): Violation[] {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownFieldsOf(v, `${path}[${i}]`));
  const o = value as { $unknown?: Array<{ no: number }>; case?: unknown; value?: unknown };
  // A oneof: its member goes by the name of its case (the envelope's payload is `routeReport`, not `payload`).
  if (typeof o.case === 'string' && 'value' in o) return unknownFieldsOf(o.value, join(path, o.case));
  const own = (o.$unknown ?? []).map(({ no }): Violation => ({
    field: path,
    rule: RULE.unknownProperty,
    message: `${path || 'the envelope'} carries field number ${no}, which the contract does not define`,
  }));
  return [
    ...own,
    ...Object.entries(o).flatMap(([k, v]) =>
      k.startsWith('$') ? [] : unknownFieldsOf(v, k === 'payload' && !path ? '' : join(path, k)),
    ),
  ];
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * Builds an envelope from its JSON form after checking every contract rule.
 * @throws ContractViolationError naming each broken field and rule
 */
export function envelopeFromJson(json: unknown): Envelope {
  assertValidEnvelopeJson(json);
  return fromJson(EnvelopeSchema, json as JsonValue);
}

export function encodeAuditEvent(event: AuditEvent): Uint8Array {
  return toBinary(AuditEventSchema, event);
}

/** Wire bytes of several audit events published as one message. */
export function encodeAuditEventBatch(events: readonly AuditEvent[]): Uint8Array {
  return toBinary(AuditEventBatchSchema, create(AuditEventBatchSchema, { events: [...events] }));
}

/** @throws ContractViolationError with rule `protobufDecode` when the bytes are not an AuditEventBatch */
export function decodeAuditEventBatch(bytes: Uint8Array): AuditEvent[] {
  try {
    return fromBinary(AuditEventBatchSchema, bytes).events;
  } catch (err) {
    throw new ContractViolationError([
      {
        field: '',
        rule: 'protobufDecode',
        message: `not a valid msx.v1.AuditEventBatch: ${(err as Error).message}`,
      },
    ]);
  }
}

/** @throws ContractViolationError with rule `protobufDecode` when the bytes are not an AuditEvent */
export function decodeAuditEvent(bytes: Uint8Array): AuditEvent {
  try {
    return fromBinary(AuditEventSchema, bytes);
  } catch (err) {
    throw new ContractViolationError([
      {
        field: '',
        rule: 'protobufDecode',
        message: `not a valid msx.v1.AuditEvent: ${(err as Error).message}`,
      },
    ]);
  }
}

/** A fresh AuditEvent with the given fields; `occurredAt` defaults to now. */
export function newAuditEvent(
  fields: Omit<Partial<AuditEvent>, '$typeName'>,
  nowMs = Date.now(),
): AuditEvent {
  return create(AuditEventSchema, { occurredAt: timestampFromMs(nowMs), ...fields });
}

/** The audit service's status, taken at `atMs`; `lastCommitAtMs` absent when the trail is empty or unknown. */
export function newAuditStatus(s: {
  databaseReachable: boolean;
  lastCommitAtMs?: number;
  atMs: number;
}): AuditStatus {
  return create(AuditStatusSchema, {
    databaseReachable: s.databaseReachable,
    lastCommitAt: s.lastCommitAtMs === undefined ? undefined : timestampFromMs(s.lastCommitAtMs),
    at: timestampFromMs(s.atMs),
  });
}

export function encodeAuditStatus(status: AuditStatus): Uint8Array {
  return toBinary(AuditStatusSchema, status);
}

/**
 * The audit service's status from wire bytes, or undefined for anything that is not one: a gate ignores
 * it, and stays closed until a real status comes (a status without the time it was taken is none).
 */
export function decodeAuditStatus(bytes: Uint8Array): AuditStatus | undefined {
  try {
    const status = fromBinary(AuditStatusSchema, bytes);
    return status.at ? status : undefined;
  } catch {
    return undefined;
  }
}

/** Timestamp helpers: `timestampMs` (milliseconds since the epoch), `timestampFromMs`, `timestampNow`. */
export { timestampMs, timestampFromMs, timestampNow } from '@bufbuild/protobuf/wkt';

/** Wire bytes of an envelope's payload alone (the same intelligence gives the same bytes whoever sends it). */
export function toBinaryPayload(envelope: Envelope): Uint8Array {
  return toBinary(EnvelopeSchema, create(EnvelopeSchema, { payload: envelope.payload }));
}
