import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, loadConfig } from '#config';
import { publicKeyDer } from '#contracts';
import { assertRouterPublicKey, routerKeySpec, routerPublicKeyFromPem } from './router-key.js';

describe('the pinned router key', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKeyDer(publicKey);

  it('reads the public key from SPKI PEM, and derives the same key from a PKCS#8 private key', () => {
    const fromPublic = routerPublicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const fromPrivate = routerPublicKeyFromPem(
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    expect(Buffer.from(fromPublic).equals(Buffer.from(der))).toBe(true);
    expect(Buffer.from(fromPrivate).equals(Buffer.from(der))).toBe(true);
  });

  it('refuses a key that is not Ed25519, and text that holds no key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(() => routerPublicKeyFromPem(ec.export({ type: 'spki', format: 'pem' }).toString())).toThrow(
      /holds a ec key; the router signs deliveries with Ed25519/,
    );
    expect(() => routerPublicKeyFromPem('not a key')).toThrow(/holds no PEM public key/);
    expect(() => assertRouterPublicKey(publicKeyDer(ec))).toThrow(/Ed25519/);
    expect(() => assertRouterPublicKey(new Uint8Array([1, 2, 3]))).toThrow(/not an SPKI DER/);
    expect(() => assertRouterPublicKey(der)).not.toThrow();
  });

  it('fails fast naming MSX_ROUTER_KEY_FILE when it is missing', () => {
    expect(() => loadConfig(routerKeySpec, {})).toThrow(ConfigError);
    expect(() => loadConfig(routerKeySpec, {})).toThrow(/MSX_ROUTER_KEY_FILE: is required/);
  });
});
