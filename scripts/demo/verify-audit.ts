import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadServices } from '#process-kit';
import { witnessDir } from '../exchange/local-state.js';

/** The outcome of verifying the audit chain. */
export interface VerificationOutcome {
  ok: boolean;
  lines: string[];
}

/**
 * Verifies the hash chain of the audit trail with the audit:verify command against the given database and
 * schema, and the checkpoints kept in `.msx/witness/<node>`, and returns what it printed.
 */
export async function verifyAuditTrail(databaseUrl: string, schema: string): Promise<VerificationOutcome> {
  // The checkpoints the local witnesses kept are checked too: a rewritten trail would not match them.
  const witnesses = loadServices()
    .filter((s) => s.witness)
    .map((s) => witnessDir(s.name))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => ['--witness-dir', dir]);
  const child = spawn(process.execPath, [resolve('dist/scripts/audit-verify.js'), ...witnesses], {
    env: { ...process.env, MSX_DATABASE_URL: databaseUrl, MSX_DATABASE_SCHEMA: schema },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  const lines = output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !/ExperimentalWarning|--trace-warnings/.test(l));
  lines.push(
    code === 0 ? 'audit chain verified (npm run audit:verify)' : `audit:verify FAILED (exit ${code})`,
  );
  return { ok: code === 0, lines };
}
