import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { LOCAL_SERVICES } from '../services.js';
import { witnessDir } from '../exchange/local-state.js';

/** The outcome of verifying the audit chain: ok undefined when verification is not available. */
export interface VerificationOutcome {
  ok: boolean | undefined;
  lines: string[];
}

/** True when package.json declares the `audit:verify` command (added with the hash chain). */
export function hasAuditVerifyCommand(): boolean {
  try {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts?: Record<string, string> };
    return typeof pkg.scripts?.['audit:verify'] === 'string';
  } catch {
    return false;
  }
}

/**
 * Verifies the hash chain of the audit trail with `npm run audit:verify` against the given database and
 * schema (and the checkpoints kept in `.msx/witness/<node>`), and returns what it printed. Says so when the command does not exist yet.
 */
export async function verifyAuditTrail(databaseUrl: string, schema: string): Promise<VerificationOutcome> {
  if (!hasAuditVerifyCommand()) {
    return {
      ok: undefined,
      lines: ['verification is not available yet: this build has no `npm run audit:verify`'],
    };
  }
  // The checkpoints the local witnesses kept are checked too: a rewritten trail would not match them.
  const witnesses = LOCAL_SERVICES.filter((s) => s.witness)
    .map((s) => witnessDir(s.name))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => ['--witness-dir', dir]);
  const child = spawn('npm', ['run', '--silent', 'audit:verify', '--', ...witnesses], {
    env: { ...process.env, MSX_DATABASE_URL: databaseUrl, MSX_DATABASE_SCHEMA: schema },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const lines = output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !/ExperimentalWarning|--trace-warnings/.test(l));
  lines.push(
    code === 0 ? 'audit chain verified (npm run audit:verify)' : `audit:verify FAILED (exit ${code})`,
  );
  return { ok: code === 0, lines };
}
