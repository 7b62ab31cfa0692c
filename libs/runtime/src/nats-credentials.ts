import { existsSync, readFileSync } from 'node:fs';
import { MsxError } from '#contracts';
import type { BusCredentials } from '#messaging';

/** The broker settings of a service's configuration ({@link natsSpec}). */
export interface NatsCredentialConfig {
  MSX_NATS_NKEY_SEED_FILE?: string;
  MSX_NATS_CA_FILE?: string;
  MSX_NATS_CERT_FILE?: string;
  MSX_NATS_KEY_FILE?: string;
}

function mustExist(variable: string, file: string): string {
  if (!existsSync(file)) throw new MsxError('CONFIG.INVALID', `${variable}: ${file} does not exist`);
  return file;
}

/**
 * How `principal` proves who it is to the broker: its NKey seed (MSX_NATS_NKEY_SEED_FILE) and TLS settings
 * (MSX_NATS_CA_FILE, and MSX_NATS_CERT_FILE with MSX_NATS_KEY_FILE for mutual TLS). Undefined when none is
 * set: an open local server, which offers no isolation between parties.
 * @throws MsxError `CONFIG.INVALID` naming the variable and file (never a secret) when something is unusable
 */
export function natsCredentials(config: NatsCredentialConfig, principal: string): BusCredentials | undefined {
  const seedFile = config.MSX_NATS_NKEY_SEED_FILE;
  const { MSX_NATS_CA_FILE: ca, MSX_NATS_CERT_FILE: cert, MSX_NATS_KEY_FILE: key } = config;
  if (!seedFile && !ca && !cert && !key) return undefined;
  let nkeySeed: string | undefined;
  if (seedFile) {
    try {
      nkeySeed = readFileSync(seedFile, 'utf8').trim();
    } catch (err) {
      throw new MsxError(
        'CONFIG.INVALID',
        `MSX_NATS_NKEY_SEED_FILE: cannot read ${seedFile}: ${(err as Error).message}`,
      );
    }
    if (!/^SU[A-Z2-7]{50,}$/.test(nkeySeed)) {
      throw new MsxError(
        'CONFIG.INVALID',
        `MSX_NATS_NKEY_SEED_FILE: ${seedFile} does not hold a user NKey seed`,
      );
    }
  }
  if (Boolean(cert) !== Boolean(key))
    throw new MsxError(
      'CONFIG.INVALID',
      'MSX_NATS_CERT_FILE and MSX_NATS_KEY_FILE are set together or not at all',
    );
  const tls =
    ca || cert
      ? {
          caFile: ca ? mustExist('MSX_NATS_CA_FILE', ca) : undefined,
          certFile: cert ? mustExist('MSX_NATS_CERT_FILE', cert) : undefined,
          keyFile: key ? mustExist('MSX_NATS_KEY_FILE', key) : undefined,
        }
      : undefined;
  return { principal, nkeySeed, tls };
}
