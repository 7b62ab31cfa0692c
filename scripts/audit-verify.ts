/**
 * `npm run audit:verify [-- --witness-dir <dir>…] [--public-key <pem>…] [--log-id <id>] [--progress]`
 *
 * Verifies the audit trail in MSX_DATABASE_URL / MSX_DATABASE_SCHEMA: every row's hash and link, seqs without
 * gaps or repeats, the start against a retained checkpoint, the stored checkpoints' signatures, and the rows
 * against the checkpoints kept by witnesses (`<dir>/<log id>.jsonl`). Prints OK or the first bad row, how many
 * rows no checkpoint covers yet and how long ago the last checkpoint was signed; exits 0 when OK,
 * 1 when the trail fails verification, 2 on a usage or connection error.
 * Checkpoint keys: the `--public-key` files (PEM, public or private); by default the audit signing key
 * (MSX_AUDIT_SIGNING_KEY_FILE, or .msx/audit-signing-key.pem when it exists).
 */
import { existsSync } from 'node:fs';
import { loadConfig, str } from '#config';
import {
  AuditCheckpointStore,
  createAuditDataSource,
  loadPublicKeyDer,
  readWitnessCheckpoints,
  verifyAuditChain,
  type VerifyAuditChainReport,
  type WitnessCheckpoint,
} from '#audit-store';
import { auditDatabase, LOCAL_AUDIT_SIGNING_KEY_FILE } from './exchange/audit-database.js';
import { parseArgs, perSecond, ProgressBar, wantProgress } from './audit-cli.js';

async function main(): Promise<number> {
  const db = auditDatabase();
  process.stdout.write(`audit store: schema ${db.schema} (${db.source})\n`);
  const config = loadConfig({
    MSX_AUDIT_SIGNING_KEY_FILE: str(''),
    MSX_AUDIT_LOG_ID: str(''),
  });
  const args = parseArgs(process.argv.slice(2), {
    values: ['witness-dir', 'public-key', 'log-id'],
    flags: ['progress'],
  });
  const schema = db.schema;
  const logId = args.values.get('log-id')?.[0] ?? (config.MSX_AUDIT_LOG_ID || schema);
  const localKey = LOCAL_AUDIT_SIGNING_KEY_FILE;
  const keyFiles =
    args.values.get('public-key') ??
    (config.MSX_AUDIT_SIGNING_KEY_FILE
      ? [config.MSX_AUDIT_SIGNING_KEY_FILE]
      : existsSync(localKey)
        ? [localKey]
        : []);
  const trustedKeys = keyFiles.map(loadPublicKeyDer);
  const witnessCheckpoints: WitnessCheckpoint[] = (args.values.get('witness-dir') ?? []).flatMap((dir) =>
    readWitnessCheckpoints(dir, logId),
  );

  const ds = createAuditDataSource({ url: db.url, schema, poolSize: 1 });
  await ds.initialize();
  const checkpoints = await new AuditCheckpointStore(ds).all().finally(() => ds.destroy());

  const bar = new ProgressBar('verifying', wantProgress(args.flags));
  const report = await verifyAuditChain({ url: db.url, schema }, checkpoints, {
    trustedKeys,
    witnessCheckpoints,
    onProgress: (done, total) => bar.update(done, total),
  });
  bar.done();

  const lines = [
    report.ok ? `OK: audit trail ${schema} verifies` : `FAILED: audit trail ${schema} does not verify`,
    ...(report.problem
      ? [
          `  first bad row: ${report.problem.seq ?? '-'} (${report.problem.code})`,
          `  why: ${report.problem.reason}`,
        ]
      : []),
    `  rows verified: ${report.rowsVerified.toLocaleString('en')}` +
      (report.firstSeq ? ` (seq ${report.firstSeq}…${report.lastSeq ?? report.firstSeq})` : ''),
    `  checkpoints: ${report.checkpointsChecked} stored checked, ${report.witnessCheckpointsChecked} from witnesses` +
      ` (${report.witnessCheckpointsRejected} rejected), ${report.checkpointsMatched} matched against rows`,
    `  not yet covered by a checkpoint: ${notCovered(report)}`,
    `  last checkpoint: ${
      report.lastCheckpoint
        ? `size ${report.lastCheckpoint.treeSize}, signed ${report.lastCheckpoint.signedAt} (${durationText(report.lastCheckpoint.ageMs)} ago)`
        : 'none'
    }`,
    `  keys trusted: ${trustedKeys.length === 0 ? 'none given (any valid signature counts)' : keyFiles.join(', ')}`,
    `  time: ${(report.elapsedMs / 1000).toFixed(2)} s, ${perSecond(report.rowsVerified, report.elapsedMs)} rows/s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return report.ok ? 0 : 1;
}

/** Rows after the last checkpoint: they could still be removed from the end without detection. */
function notCovered(r: VerifyAuditChainReport): string {
  if (r.rowsNotCovered === 0) return '0 rows';
  const last = BigInt(r.lastSeq!);
  const from = last - BigInt(r.rowsNotCovered) + 1n;
  return `${r.rowsNotCovered.toLocaleString('en')} row(s) (seq ${from}…${last}), which could be removed from the end undetected until the next checkpoint`;
}

/** A duration for people: `42 s`, `3 min 5 s`, `2 h 7 min`, `3 d 4 h`. */
function durationText(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`audit:verify: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
