import { fromBinary } from '@bufbuild/protobuf';
import {
  EnvelopeSchema,
  isUuid,
  sha256Hex,
  verifyDelivery,
  type DeliveryDecision,
  type Envelope,
  type VoucherRefusal,
} from '#contracts';

/** A copy found in an inbox, vouched for by the router or refused. */
export type DeliveredCopy = VouchedCopy | RefusedCopy;

/** A copy the router vouched for, to this recipient, for exactly these bytes. */
export interface VouchedCopy {
  vouched: true;
  decision: DeliveryDecision;
  /** The envelope decoded from the wire; the router checked it against the contract before it vouched. */
  envelope: Envelope;
  /** Hex SHA-256 of the exact bytes. */
  sha256: string;
  /** On a forwarded copy, the item it is a copy of, as the router vouched. */
  item?: string;
}

/** A copy the router did not vouch for: its contents are not to be used, shown or kept. */
export interface RefusedCopy {
  vouched: false;
  code: VoucherRefusal;
  /** A sentence without message contents. */
  reason: string;
  /** The envelope id the bytes claim, when they decode to an envelope with a well-formed id. */
  messageId?: string;
  /** Hex SHA-256 of the exact bytes. */
  sha256: string;
}

/**
 * Decides whether a copy in `recipient`'s inbox is one the router vouched for: the bytes must decode to an
 * envelope (an undecodable copy cannot be vouched for) and the voucher in the message headers must verify
 * against the pinned router key (SPKI DER) for `recipient` and these exact bytes. Never throws.
 * @param header reads one NATS header of the copy (empty or undefined when absent)
 */
export function checkDeliveredCopy(
  routerPublicKey: Uint8Array,
  recipient: string,
  bytes: Uint8Array,
  header: (name: string) => string | undefined,
): DeliveredCopy {
  const sha256 = sha256Hex(bytes);
  let envelope: Envelope | undefined;
  try {
    envelope = fromBinary(EnvelopeSchema, bytes);
  } catch {
    envelope = undefined;
  }
  const messageId = envelope && isUuid(envelope.id) ? envelope.id : undefined;
  const verdict = verifyDelivery(routerPublicKey, recipient, messageId, bytes, header);
  if (verdict.vouched && envelope)
    return {
      vouched: true,
      decision: verdict.decision,
      envelope,
      sha256,
      ...(verdict.item ? { item: verdict.item } : {}),
    };
  const code = verdict.vouched ? 'DELIVERY.BAD_SIGNATURE' : verdict.code;
  const reason = verdict.vouched ? 'the voucher does not match the copy' : verdict.reason;
  return {
    vouched: false,
    code,
    reason: messageId ? reason : `${reason}; the bytes are not an MSX envelope`,
    ...(messageId ? { messageId } : {}),
    sha256,
  };
}
