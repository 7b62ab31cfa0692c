import { readFileSync } from 'node:fs';
import { MsxError } from '#contracts';
import type { BusCredentials } from '#messaging';

/**
 * Reads a principal's NKey seed from the file named by MSX_NATS_NKEY_SEED_FILE; undefined when no file is
 * configured (an open local server).
 * @throws MsxError `CONFIG.INVALID` naming the file (never its content) when it cannot be read or is no seed
 */
export function natsCredentials(seedFile: string | undefined, principal: string): BusCredentials | undefined {
  if (!seedFile) return undefined;
  let seed: string;
  try {
    seed = readFileSync(seedFile, 'utf8').trim();
  } catch (err) {
    throw new MsxError(
      'CONFIG.INVALID',
      `MSX_NATS_NKEY_SEED_FILE: cannot read ${seedFile}: ${(err as Error).message}`,
    );
  }
  if (!/^SU[A-Z2-7]{50,}$/.test(seed)) {
    throw new MsxError(
      'CONFIG.INVALID',
      `MSX_NATS_NKEY_SEED_FILE: ${seedFile} does not hold a user NKey seed`,
    );
  }
  return { principal, nkeySeed: seed };
}
