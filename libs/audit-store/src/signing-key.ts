import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { keyIdOf, publicKeyDer } from '#contracts';

/** The audit service's Ed25519 checkpoint key. The private half never leaves this object: never log it. */
export interface AuditSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI DER of the public key, as published in checkpoints. */
  publicKeyDer: Uint8Array;
  /** Fingerprint of the public key ({@link keyIdOf}); safe to log. */
  keyId: string;
  /** Where it was read from or written to. */
  path: string;
  /** True when the key was made just now (no key file existed). */
  generated: boolean;
}

function fromPrivate(privateKey: KeyObject, path: string, generated: boolean): AuditSigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`${path} holds a ${privateKey.asymmetricKeyType} key; audit checkpoints need Ed25519`);
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyDer: publicKeyDer(publicKey),
    keyId: keyIdOf(publicKey),
    path,
    generated,
  };
}

/** Reads an Ed25519 private key (PEM, PKCS#8). */
export function loadSigningKey(path: string): AuditSigningKey {
  if (!existsSync(path)) throw new Error(`audit signing key file ${path} does not exist`);
  if ((statSync(path).mode & 0o077) !== 0)
    throw new Error(`audit signing key file ${path} is readable by others: chmod 600 it`);
  return fromPrivate(createPrivateKey(readFileSync(path)), path, false);
}

/**
 * The configured key (`configured`, which must exist), or for local runs the key at `localPath`, made on
 * first use with mode 0600 in a folder of mode 0700.
 */
export function loadOrCreateSigningKey(configured: string | undefined, localPath: string): AuditSigningKey {
  if (configured) return loadSigningKey(configured);
  if (existsSync(localPath)) return loadSigningKey(localPath);
  mkdirSync(dirname(localPath), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(localPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  chmodSync(localPath, 0o600);
  return fromPrivate(privateKey, localPath, true);
}

/** Reads a public key (PEM SPKI), or derives it from a private key file (PEM PKCS#8); returns SPKI DER. */
export function loadPublicKeyDer(path: string): Uint8Array {
  const pem = readFileSync(path, 'utf8');
  const key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  return publicKeyDer(key);
}
