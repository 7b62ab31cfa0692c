/**
 * The local state of `npm start`, all under `.msx/` (git-ignored): gateway tokens, the embedded servers'
 * data, witness folders, and `runtime.json`, which tells `npm run demo` where the running exchange is.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, str } from '#config';

/** Where `npm start` keeps its state: `.msx` in the checkout, or MSX_STATE_DIR. */
export const STATE_DIR = resolve(loadConfig({ MSX_STATE_DIR: str('.msx') }).MSX_STATE_DIR);
export const TOKENS_FILE = resolve(STATE_DIR, 'gateway-tokens.env');
export const RUNTIME_FILE = resolve(STATE_DIR, 'runtime.json');
export const POSTGRES_DIR = resolve(STATE_DIR, 'postgres');
export const POSTGRES_SECRET_FILE = resolve(STATE_DIR, 'postgres-password');
export const NATS_DIR = resolve(STATE_DIR, 'nats');
export const LOCK_FILE = resolve(STATE_DIR, 'start.lock');
/** The audit service's checkpoint key of the local exchange, made once. */
export const AUDIT_SIGNING_KEY_FILE = resolve(STATE_DIR, 'audit-signing-key.pem');
/** Where a node keeps the audit checkpoints it witnesses: `.msx/witness/<node>`. */
export const witnessDir = (node: string) => resolve(STATE_DIR, 'witness', node);
/** The local national network: the contact points' dispatch files, and its nats-server's storage in `nats/`. */
export const NATIONAL_DIR = resolve(STATE_DIR, 'national');

/** Where a running `npm start` put things; written when everything is up, removed on a clean stop. */
export interface RuntimeInfo {
  /** Process id of the supervisor. */
  pid: number;
  gatewayUrl: string;
  natsUrl: string;
  databaseUrl: string;
  databaseSchema: string;
  /** True when the supervisor started the server itself (embedded PostgreSQL, private nats-server). */
  embeddedPostgres: boolean;
  ownNatsServer: boolean;
  startedAt: string;
  /** Each service's operations listener (`/healthz`, `/readyz`, `/metrics`), by service name. */
  opsUrls: Record<string, string>;
  /** The leaf node of each post that runs one, where `npm run post -- send` puts the post's reports. */
  posts?: Record<string, { url: string; seedFile: string }>;
}

/** Writes a file readable by the owner only (tokens, passwords). */
export function writeSecret(path: string, content: string): void {
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Node tokens for the gateway (`node=token,…`): read from `.msx/`, or made now for every node of the directory. */
export function gatewayTokens(nodes: readonly string[]): string {
  if (existsSync(TOKENS_FILE)) {
    const known = readFileSync(TOKENS_FILE, 'utf8').trim();
    const have = new Set(known.split(',').map((pair) => pair.slice(0, pair.indexOf('='))));
    const added = nodes.filter((n) => !have.has(n));
    if (added.length === 0) return known;
    // Parties added to the directory since the last start get a token too; existing tokens stay valid.
    const all = [known, ...added.map(newToken)].join(',');
    writeSecret(TOKENS_FILE, `${all}\n`);
    return all;
  }
  const tokens = nodes.map(newToken).join(',');
  writeSecret(TOKENS_FILE, `${tokens}\n`);
  return tokens;
}

function newToken(node: string): string {
  return `${node}=${randomBytes(24).toString('base64url')}`;
}

/** The token of one node from `.msx/gateway-tokens.env`, or undefined. */
export function tokenOf(tokens: string, node: string): string | undefined {
  return tokens
    .split(',')
    .find((t) => t.startsWith(`${node}=`))
    ?.slice(node.length + 1)
    .trim();
}

/** A token as the banner shows it: enough to recognise, never enough to use (terminal output ends up in logs). */
export function maskToken(token: string | undefined): string {
  return token ? `${token.slice(0, 4)}…` : '(none)';
}

/** Reads `.msx/gateway-tokens.env`; undefined when `npm start` has not made it yet. */
export function readGatewayTokens(): string | undefined {
  return existsSync(TOKENS_FILE) ? readFileSync(TOKENS_FILE, 'utf8').trim() : undefined;
}

/** The password of the embedded PostgreSQL, made on its first start. */
export function embeddedPostgresPassword(): string {
  if (existsSync(POSTGRES_SECRET_FILE)) return readFileSync(POSTGRES_SECRET_FILE, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  writeSecret(POSTGRES_SECRET_FILE, `${password}\n`);
  return password;
}

export function writeRuntimeInfo(info: RuntimeInfo): void {
  // It holds the database password of the embedded server: owner only.
  writeSecret(RUNTIME_FILE, `${JSON.stringify(info, null, 2)}\n`);
}

/** The running exchange's addresses, when `npm start` is running (its supervisor process is alive). */
export function readRuntimeInfo(): RuntimeInfo | undefined {
  if (!existsSync(RUNTIME_FILE)) return undefined;
  try {
    const info = JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as RuntimeInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

/** Removes `runtime.json` if this process wrote it; a refused second start leaves the running one's alone. */
export function removeRuntimeInfo(): void {
  try {
    const info = JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as RuntimeInfo;
    if (info.pid !== process.pid) return;
  } catch {
    return;
  }
  rmSync(RUNTIME_FILE, { force: true });
}

/**
 * Takes the start lock (`.msx/start.lock`, holding this process id), or returns the id of the process that
 * holds it (-1 when it cannot be told). The lock file appears whole (written aside, then linked into place),
 * and a lock left by a process that is gone is taken over; after taking it, this process reads it back and
 * refuses unless it holds it, so two starts racing over a stale lock cannot both go on.
 */
export function takeStartLock(): number | undefined {
  mkdirSync(STATE_DIR, { recursive: true });
  const mine = `${LOCK_FILE}.${process.pid}`;
  writeFileSync(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, LOCK_FILE);
        return holderOfLock() === process.pid ? undefined : (holderOfLock() ?? -1);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = holderOfLock();
        if (holder !== undefined && holder !== process.pid && alive(holder)) return holder;
        if (holder === undefined) continue; // Released meanwhile: try again.
        rmSync(LOCK_FILE, { force: true }); // Left by a process that is gone.
      }
    }
    return -1;
  } finally {
    rmSync(mine, { force: true });
  }
}

function holderOfLock(): number | undefined {
  try {
    const pid = Number(readFileSync(LOCK_FILE, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Releases the start lock if this process holds it; never touches another instance's. */
export function releaseStartLock(): void {
  try {
    if (Number(readFileSync(LOCK_FILE, 'utf8').trim()) === process.pid) rmSync(LOCK_FILE, { force: true });
  } catch {
    // No lock: nothing to release.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
