import { createHash, randomBytes } from 'node:crypto';

/** Formats 16 bytes as a canonical UUID string. */
function format(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A new UUIDv7 (RFC 9562): 48-bit Unix time in milliseconds, then random bits, so ids sort by creation time.
 * @param nowMs creation time in milliseconds since the epoch
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const bytes = randomBytes(16);
  const ms = BigInt(nowMs);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return format(bytes);
}

/** The namespace of MSX's name-based ids (a fixed random UUID). */
const MSX_NAMESPACE = Buffer.from('6c1f5e0a8b3d4f2e9a7c1d2e3f405162', 'hex');

/**
 * A deterministic UUIDv5 (RFC 9562, SHA-1 name-based) for an operation: the same parts always give the same
 * id. Audit events and deliveries use it so that redelivery and retries cannot create a second row or copy.
 */
export function nameBasedId(...parts: string[]): string {
  const hash = createHash('sha1').update(MSX_NAMESPACE).update(parts.join('\u001f')).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return format(bytes);
}

/** SHA-256 of bytes, as 64 lowercase hex digits. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
