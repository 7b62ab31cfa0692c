import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Parser } from '#config';
import { keyIdOf, publicKeyDer } from '#contracts';

/**
 * The router's delivery key as pinned by configuration: every copy in a node's inbox must carry a voucher
 * signed with it (DESIGN §4, "Deliveries the router vouches for").
 */
export interface RouterKey {
  /** The PEM file it was read from. */
  path: string;
  /** SPKI DER of the router's Ed25519 public key. */
  publicKeyDer: Uint8Array;
  /** Fingerprint of the key ({@link keyIdOf}); safe to log. */
  keyId: string;
}

/**
 * The router's public key (SPKI DER) from PEM text holding either the public key (SPKI) or the private key
 * (PKCS#8), whose public half is taken; the private half is not kept.
 * @throws Error saying what is wrong (never any key material) when the text holds no key or not Ed25519
 */
export function routerPublicKeyFromPem(pem: string): Uint8Array {
  let key: KeyObject;
  try {
    key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } catch {
    throw new Error('holds no PEM public key (SPKI) or private key (PKCS#8)');
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`holds a ${key.asymmetricKeyType} key; the router signs deliveries with Ed25519`);
  return publicKeyDer(key);
}

/**
 * Checks that `der` is an Ed25519 public key in SPKI DER form, for a key handed over by code rather than
 * read from configuration.
 * @throws Error when it is not
 */
export function assertRouterPublicKey(der: Uint8Array): void {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch {
    throw new Error('the router public key is not an SPKI DER public key');
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`the router public key is ${key.asymmetricKeyType}; deliveries are signed with Ed25519`);
}

/** A required PEM file with the router's Ed25519 key (public, or private with the public half taken). */
export function routerKeyFile(): Parser<RouterKey> {
  return (raw) => {
    const path = raw?.trim();
    if (!path) throw new Error("is required: a PEM file with the router's Ed25519 public key");
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new Error(`cannot read ${path}: ${why}`, { cause: err });
    }
    let der: Uint8Array;
    try {
      der = routerPublicKeyFromPem(pem);
    } catch (err) {
      throw new Error(`${path} ${(err as Error).message}`, { cause: err });
    }
    return { path, publicKeyDer: der, keyId: keyIdOf(der) };
  };
}

/** Configuration of every party that reads inboxes (node apps, the gateway): the pinned router key. */
export const routerKeySpec = {
  /**
   * PEM file with the router's Ed25519 public key (SPKI), or its private key (PKCS#8) on a machine that
   * holds it anyway; copies not signed with this key are refused.
   */
  MSX_ROUTER_KEY_FILE: routerKeyFile(),
};
