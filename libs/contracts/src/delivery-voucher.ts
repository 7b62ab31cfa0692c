import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { keyIdOf } from './checkpoint.js';
import { sha256Hex } from './ids.js';

/**
 * The router vouches for every copy it puts into an inbox (DESIGN §4): it signs, with its Ed25519 delivery
 * key, which message it is, for whom, the SHA-256 of the exact bytes, and the decision that let it through.
 * A node accepts a copy only when the voucher verifies for itself as recipient, so nothing that reached its
 * inbox by any other path (a reply subject aimed at it, a misconfigured broker) is ever taken as delivered.
 */
export interface DeliveryVoucher {
  /** Envelope id of the copy. */
  messageId: string;
  /** The node whose inbox it is for. */
  recipient: string;
  /** Hex SHA-256 of the exact bytes delivered. */
  sha256: string;
  /**
   * What the router decided: `delivered` or `forwarded` (a sharing decision), `receipt` (the sender's own
   * delivery receipt) or `recall` (a recall reaching a holder of the item).
   */
  decision: DeliveryDecision;
  /** Fingerprint ({@link keyIdOf}) of the router key that signed it. */
  keyId: string;
  /**
   * On a forwarded copy: the id of the item it is a copy of (the originator's). A recall names that item,
   * and the holder of the forward must know it holds a copy of it.
   */
  item?: string;
}

export const DELIVERY_DECISIONS = ['delivered', 'forwarded', 'receipt', 'recall'] as const;
export type DeliveryDecision = (typeof DELIVERY_DECISIONS)[number];

/** NATS headers that carry the voucher on an inbox message. */
export const VoucherHeaders = {
  decision: 'Msx-Voucher-Decision',
  keyId: 'Msx-Voucher-Key',
  /** Base64 of the Ed25519 signature over {@link deliveryVoucherText}. */
  signature: 'Msx-Voucher-Signature',
  /** {@link DeliveryVoucher.item}, on a forwarded copy only. */
  item: 'Msx-Voucher-Item',
} as const;

/**
 * The exact text the signature covers (UTF-8), one field per line:
 * `msx-delivery/v1`, message id, recipient, sha256 (hex), decision, key id, and on a forwarded copy a
 * seventh line `item <id>` (a voucher with it never reads as one without).
 */
export function deliveryVoucherText(v: DeliveryVoucher): string {
  const item = v.item ? `item ${v.item}\n` : '';
  return `msx-delivery/v1\n${v.messageId}\n${v.recipient}\n${v.sha256}\n${v.decision}\n${v.keyId}\n${item}`;
}

/** The router's key for signing deliveries; `keyId` is safe to log, the private key never is. */
export interface DeliverySigner {
  privateKey: KeyObject;
  keyId: string;
}

/** A signer from an Ed25519 private key. */
export function deliverySigner(privateKey: KeyObject): DeliverySigner {
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`deliveries are signed with Ed25519, not ${privateKey.asymmetricKeyType}`);
  return { privateKey, keyId: keyIdOf(createPublicKey(privateKey)) };
}

/** The voucher headers for one copy of `bytes` delivered to `recipient`. */
export function signDelivery(
  signer: DeliverySigner,
  messageId: string,
  recipient: string,
  bytes: Uint8Array,
  decision: DeliveryDecision,
  item?: string,
): Record<string, string> {
  const voucher: DeliveryVoucher = {
    messageId,
    recipient,
    sha256: sha256Hex(bytes),
    decision,
    keyId: signer.keyId,
    ...(item ? { item } : {}),
  };
  const signature = sign(null, Buffer.from(deliveryVoucherText(voucher), 'utf8'), signer.privateKey);
  return {
    [VoucherHeaders.decision]: decision,
    [VoucherHeaders.keyId]: signer.keyId,
    [VoucherHeaders.signature]: signature.toString('base64'),
    ...(item ? { [VoucherHeaders.item]: item } : {}),
  };
}

/** The outcome of checking a copy: vouched for, or refused with a stable code and a sentence. */
export type VoucherVerdict =
  | { vouched: true; decision: DeliveryDecision; item?: string }
  | { vouched: false; code: VoucherRefusal; reason: string };

/** Why a copy is not vouched for: no voucher, a key other than the pinned one, or a signature that fails. */
export type VoucherRefusal = 'DELIVERY.UNSIGNED' | 'DELIVERY.UNKNOWN_KEY' | 'DELIVERY.BAD_SIGNATURE';

/**
 * Checks the voucher of a copy found in `recipient`'s inbox against the pinned router key (SPKI DER).
 * `messageId` is the envelope id of the decoded bytes, or undefined when they do not decode (such a copy
 * cannot be vouched for). `header` reads one NATS header (empty or undefined when absent).
 */
export function verifyDelivery(
  routerPublicKey: Uint8Array,
  recipient: string,
  messageId: string | undefined,
  bytes: Uint8Array,
  header: (name: string) => string | undefined,
): VoucherVerdict {
  const decision = header(VoucherHeaders.decision) ?? '';
  const keyId = header(VoucherHeaders.keyId) ?? '';
  const signature = header(VoucherHeaders.signature) ?? '';
  const item = header(VoucherHeaders.item) || undefined;
  if (!decision || !keyId || !signature)
    return { vouched: false, code: 'DELIVERY.UNSIGNED', reason: 'the copy carries no router voucher' };
  if (keyId !== keyIdOf(routerPublicKey))
    return {
      vouched: false,
      code: 'DELIVERY.UNKNOWN_KEY',
      reason: `the voucher is signed with key ${keyId.slice(0, 16)}…, not the pinned router key`,
    };
  if (!(DELIVERY_DECISIONS as readonly string[]).includes(decision) || messageId === undefined)
    return { vouched: false, code: 'DELIVERY.BAD_SIGNATURE', reason: 'the voucher does not match the copy' };
  const text = (r: string) =>
    Buffer.from(
      deliveryVoucherText({
        messageId,
        recipient: r,
        sha256: sha256Hex(bytes),
        decision: decision as DeliveryDecision,
        keyId,
        ...(item ? { item } : {}),
      }),
      'utf8',
    );
  let ok: boolean;
  try {
    const key = createPublicKey({ key: Buffer.from(routerPublicKey), format: 'der', type: 'spki' });
    const sig = Buffer.from(signature, 'base64');
    ok = verify(null, text(recipient), key, sig);
  } catch {
    ok = false;
  }
  if (ok) return { vouched: true, decision: decision as DeliveryDecision, ...(item ? { item } : {}) };
  return {
    vouched: false,
    code: 'DELIVERY.BAD_SIGNATURE',
    reason: `the voucher does not verify for ${recipient} and these bytes`,
  };
}
