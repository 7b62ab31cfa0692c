import { createHmac, createPrivateKey, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { deliverySigner, type DeliverySigner } from '#contracts';

/**
 * The router's secrets: the Ed25519 key that vouches for every delivery (DESIGN §4), and a key derived from
 * it for the ids the router makes itself. Neither is ever logged; `signer.keyId` is.
 */
export interface RouterKeys {
  signer: DeliverySigner;
  /** HMAC key of {@link routerId}: 32 bytes derived from the signing key, so it needs no file of its own. */
  idKey: Buffer;
}

/** A loaded key, with where it came from. */
export interface LoadedRouterKeys extends RouterKeys {
  /** Where it was read from or written to. */
  path: string;
  /** True when the key was made just now (no key file existed). */
  generated: boolean;
}

/** The router's keys from its Ed25519 private key. */
export function routerKeysFrom(privateKey: KeyObject): RouterKeys {
  const signer = deliverySigner(privateKey);
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  // A separate key per use: an id reveals nothing about the signing key, and the signature nothing about ids.
  // The salt and label are fixed derivation constants, not the router's principal: renaming that must not
  // change the ids a router already gave out.
  const idKey = Buffer.from(hkdfSync('sha256', pkcs8, 'msx-router', 'msx-router-ids/v1', 32));
  return { signer, idKey };
}

/**
 * A deterministic id (UUID, version 8) for something the router makes itself (a receipt, an expiry recall):
 * the same parts always give the same id, so a retry is deduplicated, but without the router's key no party
 * can compute it and take it first.
 */
export function routerId(keys: RouterKeys, ...parts: string[]): string {
  const bytes = createHmac('sha256', keys.idKey).update(parts.join('\u001f')).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Reads the router's Ed25519 private key (PEM, PKCS#8), which no one else may read. */
export function loadRouterKeys(path: string): LoadedRouterKeys {
  if (!existsSync(path)) throw new Error(`router signing key file ${path} does not exist`);
  if ((statSync(path).mode & 0o077) !== 0)
    throw new Error(`router signing key file ${path} is readable by others: chmod 600 it`);
  const privateKey = createPrivateKey(readFileSync(path));
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`${path} holds a ${privateKey.asymmetricKeyType} key; the router signs with Ed25519`);
  return { ...routerKeysFrom(privateKey), path, generated: false };
}

/**
 * The configured key (`configured`, which must exist), or for local runs the key at `localPath`, made on
 * first use with mode 0600 in a folder of mode 0700.
 */
export function loadOrCreateRouterKeys(configured: string | undefined, localPath: string): LoadedRouterKeys {
  if (configured) return loadRouterKeys(configured);
  if (existsSync(localPath)) return loadRouterKeys(localPath);
  mkdirSync(dirname(localPath), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    writeFileSync(localPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
      flag: 'wx',
    });
  } catch (err) {
    // Another router process made it at the same moment: use that one, so both sign with the same key.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadRouterKeys(localPath);
    throw err;
  }
  chmodSync(localPath, 0o600);
  return { ...routerKeysFrom(privateKey), path: localPath, generated: true };
}
