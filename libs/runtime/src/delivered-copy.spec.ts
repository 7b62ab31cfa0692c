import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import {
  deliverySigner,
  encodeEnvelope,
  envelopeFromJson,
  publicKeyDer,
  sha256Hex,
  signDelivery,
  uuidv7,
  VoucherHeaders,
} from '#contracts';
import { checkDeliveredCopy } from './delivered-copy.js';
import { asJson, validRouteReportEnvelope } from '#testing';

const routerKeys = generateKeyPairSync('ed25519');
const router = deliverySigner(routerKeys.privateKey);
const pinned = publicKeyDer(routerKeys.publicKey);
const impostor = deliverySigner(generateKeyPairSync('ed25519').privateKey);

function routeReport(id = uuidv7(), purpose?: string): { id: string; bytes: Uint8Array } {
  const envelope = envelopeFromJson(asJson(validRouteReportEnvelope({ id })));
  if (purpose !== undefined) envelope.purpose = purpose;
  return { id, bytes: encodeEnvelope(envelope) };
}

const headersOf =
  (h: Record<string, string>) =>
  (name: string): string | undefined =>
    h[name];
const noHeaders = headersOf({});

describe('checking a copy found in an inbox against the router voucher', () => {
  it('accepts a copy the router signed for this node, with its envelope and decision', () => {
    const { id, bytes } = routeReport();
    const voucher = signDelivery(router, id, 'cp-it', bytes, 'delivered');
    const copy = checkDeliveredCopy(pinned, 'cp-it', bytes, headersOf(voucher));
    expect(copy).toMatchObject({ vouched: true, decision: 'delivered', sha256: sha256Hex(bytes) });
    expect(copy.vouched && copy.envelope.id).toBe(id);
  });

  it('refuses a copy signed for another node as BAD_SIGNATURE', () => {
    const { id, bytes } = routeReport();
    const voucher = signDelivery(router, id, 'cp-gr', bytes, 'delivered');
    expect(checkDeliveredCopy(pinned, 'cp-it', bytes, headersOf(voucher))).toMatchObject({
      vouched: false,
      code: 'DELIVERY.BAD_SIGNATURE',
      messageId: id,
    });
  });

  it('refuses a copy without a voucher as UNSIGNED, naming the id it claims', () => {
    const { id, bytes } = routeReport();
    expect(checkDeliveredCopy(pinned, 'cp-it', bytes, noHeaders)).toEqual({
      vouched: false,
      code: 'DELIVERY.UNSIGNED',
      reason: 'the copy carries no router voucher',
      messageId: id,
      sha256: sha256Hex(bytes),
    });
  });

  it('refuses a copy signed with a key other than the pinned one as UNKNOWN_KEY', () => {
    const { id, bytes } = routeReport();
    const voucher = signDelivery(impostor, id, 'cp-it', bytes, 'delivered');
    expect(checkDeliveredCopy(pinned, 'cp-it', bytes, headersOf(voucher))).toMatchObject({
      vouched: false,
      code: 'DELIVERY.UNKNOWN_KEY',
    });
  });

  it('refuses a copy whose bytes changed after signing as BAD_SIGNATURE', () => {
    const { id, bytes } = routeReport();
    const voucher = signDelivery(router, id, 'cp-it', bytes, 'delivered');
    const other = routeReport(id, 'altered after signing').bytes;
    expect(sha256Hex(other)).not.toBe(sha256Hex(bytes));
    expect(checkDeliveredCopy(pinned, 'cp-it', other, headersOf(voucher))).toMatchObject({
      vouched: false,
      code: 'DELIVERY.BAD_SIGNATURE',
      messageId: id,
    });
  });

  it('refuses a voucher copied from another copy as BAD_SIGNATURE', () => {
    const a = routeReport();
    const b = routeReport();
    const voucher = signDelivery(router, a.id, 'cp-it', a.bytes, 'delivered');
    expect(checkDeliveredCopy(pinned, 'cp-it', b.bytes, headersOf(voucher))).toMatchObject({
      vouched: false,
      code: 'DELIVERY.BAD_SIGNATURE',
    });
  });

  it('refuses a copy that claims a decision other than the signed one', () => {
    const { id, bytes } = routeReport();
    const voucher = signDelivery(router, id, 'cp-it', bytes, 'receipt');
    const claimed = { ...voucher, [VoucherHeaders.decision]: 'forwarded' };
    expect(checkDeliveredCopy(pinned, 'cp-it', bytes, headersOf(claimed))).toMatchObject({
      vouched: false,
      code: 'DELIVERY.BAD_SIGNATURE',
    });
  });

  it('tells which item a forwarded copy is of, and refuses the item changed, added or removed', () => {
    const { id, bytes } = routeReport();
    const item = uuidv7();
    const voucher = signDelivery(router, id, 'cp-gr', bytes, 'forwarded', item);
    expect(voucher[VoucherHeaders.item]).toBe(item);
    expect(checkDeliveredCopy(pinned, 'cp-gr', bytes, headersOf(voucher))).toMatchObject({
      vouched: true,
      decision: 'forwarded',
      item,
    });
    const plain = signDelivery(router, id, 'cp-gr', bytes, 'forwarded');
    expect(plain).not.toHaveProperty(VoucherHeaders.item);
    const { [VoucherHeaders.item]: _dropped, ...withoutItem } = voucher;
    for (const forged of [
      { ...voucher, [VoucherHeaders.item]: uuidv7() },
      { ...plain, [VoucherHeaders.item]: item },
      withoutItem,
    ])
      expect(checkDeliveredCopy(pinned, 'cp-gr', bytes, headersOf(forged))).toMatchObject({
        vouched: false,
        code: 'DELIVERY.BAD_SIGNATURE',
      });
  });

  it('refuses bytes that are not an envelope, even with a voucher attached, and claims no id', () => {
    const junk = new TextEncoder().encode('junk written into the inbox');
    const { id, bytes } = routeReport();
    const voucher = signDelivery(router, id, 'cp-it', bytes, 'delivered');
    for (const headers of [noHeaders, headersOf(voucher)]) {
      const copy = checkDeliveredCopy(pinned, 'cp-it', junk, headers);
      expect(copy.vouched).toBe(false);
      expect(copy).not.toHaveProperty('messageId');
      expect(!copy.vouched && copy.reason).toMatch(/not an MSX envelope/);
    }
  });
});
