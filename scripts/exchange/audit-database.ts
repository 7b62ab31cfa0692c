import { join } from 'node:path';
import { databaseSpec, loadConfig, natsSpec, optionalStr } from '#config';
import type { BusCredentials } from '#messaging';
import { natsCredentials } from '#runtime';
import { AUDIT_SIGNING_KEY_FILE, readRuntimeInfo, STATE_DIR } from './local-state.js';
import { ADMIN_PRINCIPAL } from '#contracts';

/** The audit store a command works on, and where that choice came from (printed, so no one guesses). */
export interface AuditDatabase {
  url: string;
  schema: string;
  /** `MSX_DATABASE_URL`, or the running `npm start` (its embedded PostgreSQL has a password and a port). */
  source: string;
}

/**
 * The audit store the audit commands (`audit:verify`, `audit:export`, `audit:retention`) use: the one in
 * MSX_DATABASE_URL / MSX_DATABASE_SCHEMA when set, otherwise the running `npm start`'s (from `.msx/runtime.json`),
 * otherwise the defaults.
 */
export function auditDatabase(env: NodeJS.ProcessEnv = process.env): AuditDatabase {
  const explicit = loadConfig({ MSX_DATABASE_URL: optionalStr(), MSX_DATABASE_SCHEMA: optionalStr() }, env);
  const config = loadConfig(databaseSpec, env);
  const running = explicit.MSX_DATABASE_URL ? undefined : readRuntimeInfo();
  if (running)
    return {
      url: running.databaseUrl,
      schema: explicit.MSX_DATABASE_SCHEMA ? config.MSX_DATABASE_SCHEMA : running.databaseSchema,
      source: `the running npm start (process ${running.pid})`,
    };
  return {
    url: config.MSX_DATABASE_URL,
    schema: config.MSX_DATABASE_SCHEMA,
    source: explicit.MSX_DATABASE_URL ? 'MSX_DATABASE_URL' : 'the default MSX_DATABASE_URL',
  };
}

/** The local exchange's audit signing key file (`.msx/audit-signing-key.pem`), made by `npm start`. */
export const LOCAL_AUDIT_SIGNING_KEY_FILE = AUDIT_SIGNING_KEY_FILE;

/**
 * The broker an operator's command publishes on: MSX_NATS_URL with the credentials in MSX_NATS_* when set,
 * otherwise the running `npm start`'s isolated broker as the operator (`msx-admin`, whose credentials
 * `npm start` generated in `.msx/broker`).
 */
export function operatorBroker(env: NodeJS.ProcessEnv = process.env): {
  url: string;
  credentials?: BusCredentials;
} {
  const explicit = loadConfig({ MSX_NATS_URL: optionalStr() }, env);
  const config = loadConfig(natsSpec, env);
  const running = explicit.MSX_NATS_URL ? undefined : readRuntimeInfo();
  if (running?.natsUrl.startsWith('tls:')) {
    const broker = join(STATE_DIR, 'broker');
    return {
      url: running.natsUrl,
      credentials: natsCredentials(
        {
          MSX_NATS_NKEY_SEED_FILE: join(broker, 'seeds', 'msx-admin.nk'),
          MSX_NATS_CA_FILE: join(broker, 'tls', 'ca.pem'),
          MSX_NATS_CERT_FILE: join(broker, 'tls', 'clients', 'msx-admin.pem'),
          MSX_NATS_KEY_FILE: join(broker, 'tls', 'clients', 'msx-admin-key.pem'),
        },
        ADMIN_PRINCIPAL,
      ),
    };
  }
  return {
    url: running?.natsUrl ?? config.MSX_NATS_URL,
    credentials: natsCredentials(config, ADMIN_PRINCIPAL),
  };
}
