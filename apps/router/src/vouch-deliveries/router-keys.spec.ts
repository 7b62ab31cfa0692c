import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { loadOrCreateRouterKeys, loadRouterKeys, routerId, routerKeysFrom } from './router-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'msx-router-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the router signing key', () => {
  it('is made on first use, readable by its owner only, and the same key afterwards', () => {
    const path = join(dir, 'local', 'router-signing-key.pem');
    const made = loadOrCreateRouterKeys(undefined, path);
    expect(made.generated).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'local')).mode & 0o777).toBe(0o700);
    const again = loadOrCreateRouterKeys(undefined, path);
    expect(again.generated).toBe(false);
    expect(again.signer.keyId).toBe(made.signer.keyId);
    expect(routerId(again, 'x')).toBe(routerId(made, 'x'));
  });

  it('prefers the configured key, and refuses one that others may read', () => {
    const path = join(dir, 'configured.pem');
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const keys = loadOrCreateRouterKeys(path, join(dir, 'unused.pem'));
    expect(keys.signer.keyId).toBe(routerKeysFrom(privateKey).signer.keyId);
    chmodSync(path, 0o640);
    expect(() => loadRouterKeys(path)).toThrow(/readable by others/);
  });

  it('refuses a key that is not Ed25519, without printing it', () => {
    const path = join(dir, 'rsa.pem');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    let message = '';
    try {
      loadRouterKeys(path);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/rsa key; the router signs with Ed25519/);
    expect(message).not.toContain(readFileSync(path, 'utf8').split('\n')[1]);
  });
});

describe('routerId', () => {
  const keys = routerKeysFrom(generateKeyPairSync('ed25519').privateKey);

  it('is a UUID that depends on every part and on the key', () => {
    const id = routerId(keys, 'a', 'receipt');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(routerId(keys, 'a', 'receipt')).toBe(id);
    expect(routerId(keys, 'a', 'expiry-recall')).not.toBe(id);
    expect(routerId(keys, 'ar', 'eceipt')).not.toBe(id);
    expect(routerId(routerKeysFrom(generateKeyPairSync('ed25519').privateKey), 'a', 'receipt')).not.toBe(id);
  });
});
