/**
 * `npm run audit:retention -- --before <ISO date> --justification "<text>" [--actor <name>] [--dry-run]
 *   [--witness-dir <dir>…] [--no-publish] [--progress]`
 *
 * Drops the monthly partitions of the audit trail in MSX_DATABASE_URL / MSX_DATABASE_SCHEMA that lie wholly
 * before `--before` (a UTC month boundary, not after the current month's start), as an audited operation
 * (DESIGN §5, `runAuditRetention`): it verifies the trail first (also against the `--witness-dir` checkpoints),
 * then, holding the chain lock, makes sure a signed checkpoint exists at the last dropped row, records the
 * retention as an `erased` audit row (rule AUDIT.RETENTION, actor msx-audit / `--actor` or the OS user, the
 * justification) and drops the partitions as their owner. `--dry-run` only reports what would go.
 *
 * A checkpoint signed here (key: MSX_AUDIT_SIGNING_KEY_FILE, or .msx/audit-signing-key.pem) is also published
 * to the witnesses on MSX_NATS_URL unless `--no-publish`; when the bus cannot be reached that is only a
 * warning, because the checkpoint is stored and the audit service publishes later checkpoints anyway.
 *
 * Progress goes to stderr, the summary to stdout. Exits 0 when done (or nothing to drop, or a dry run),
 * 1 when refused (the trail is unchanged), 2 on a usage, key or connection error.
 */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { loadConfig, natsSpec, str } from '#config';
import { encodeAuditCheckpoint, newAuditCheckpoint } from '#contracts';
import {
  checkRetentionRequest,
  createAuditDataSource,
  loadSigningKey,
  readWitnessCheckpoints,
  runAuditRetention,
  type AuditRetentionResult,
  type RetentionPartition,
  type SignedCheckpoint,
} from '#audit-store';
import { connectBus, publishDurably, Subjects } from '#messaging';
import { auditDatabase, LOCAL_AUDIT_SIGNING_KEY_FILE, operatorBroker } from './exchange/audit-database.js';
import { parseArgs, ProgressBar, wantProgress } from './audit-cli.js';

/** Where a local run keeps the audit signing key (the audit service's default too). */
const LOCAL_SIGNING_KEY_FILE = LOCAL_AUDIT_SIGNING_KEY_FILE;
/** How long to try reaching the bus for the boundary checkpoint, in milliseconds. */
const PUBLISH_CONNECT_TIMEOUT_MS = 3_000;

const say = (line: string) => process.stderr.write(`audit:retention: ${line}\n`);

function beforeArg(values: Map<string, string[]>): Date {
  const raw = values.get('before')?.[0];
  if (!raw) throw new Error('--before <ISO 8601 date, a month boundary such as 2025-01-01> is required');
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw new Error(`--before must be an ISO 8601 date, got "${raw}"`);
  return d;
}

const seqRange = (first: string | null, last: string | null) =>
  first === null ? 'no rows' : `seq ${first}…${last}`;
const partitionLine = (p: RetentionPartition) =>
  `    ${p.name} [${p.from} … ${p.to}): ${p.rows.toLocaleString('en')} rows, ${seqRange(p.firstSeq, p.lastSeq)}`;

/** Publishes a checkpoint signed here, as the audit service would; returns what happened, for the summary. */
async function publish(c: SignedCheckpoint): Promise<string> {
  try {
    const broker = operatorBroker();
    const bus = await connectBus({
      servers: broker.url,
      credentials: broker.credentials,
      name: 'msx-audit-retention',
      connectTimeoutMs: PUBLISH_CONNECT_TIMEOUT_MS,
    });
    try {
      await publishDurably(
        bus.js,
        Subjects.checkpointAudit,
        encodeAuditCheckpoint(newAuditCheckpoint(c, c.signature, c.publicKey)),
        { msgID: `checkpoint:${c.logId}:${c.treeSize}`, attempts: 2, timeoutMs: 5_000 },
      );
    } finally {
      await bus.close();
    }
    return `published on ${Subjects.checkpointAudit} for the witnesses`;
  } catch (err) {
    say(`warning: the boundary checkpoint was not published: ${(err as Error).message}`);
    return 'NOT published (see the warning); it is stored, and witnesses receive the later checkpoints the audit service publishes';
  }
}

function summary(
  schema: string,
  result: AuditRetentionResult,
  dryRun: boolean,
  published: string | undefined,
): string[] {
  const { plan } = result;
  const before = plan.before.toISOString();
  if (plan.partitions.length === 0)
    return [`OK: nothing to drop: audit trail ${schema} has no partition wholly before ${before}`];
  const what = `${plan.partitions.length} partition(s) of audit trail ${schema} before ${before}: ${plan.rows.toLocaleString('en')} rows, ${seqRange(plan.firstSeq, plan.lastSeq)}`;
  const lines = [
    dryRun ? `DRY RUN: would drop ${what}` : `OK: dropped ${what}`,
    '  partitions:',
    ...plan.partitions.map(partitionLine),
    `  remaining chain starts at: ${plan.remainingFirstSeq === null ? '(no rows before this run)' : `row ${plan.remainingFirstSeq}`}`,
  ];
  if (dryRun) return [...lines, '  nothing was changed (dry run)'];
  if (result.verification)
    lines.push(
      `  verified first: ${result.verification.rowsVerified.toLocaleString('en')} rows, ${result.verification.checkpointsMatched} checkpoint matches`,
    );
  const b = result.boundary;
  if (b)
    lines.push(
      `  boundary checkpoint: log ${b.checkpoint.logId}, size ${b.checkpoint.treeSize}, head ${b.checkpoint.headHash}`,
      `    key ${b.checkpoint.keyId}, ${b.created ? 'signed now' : 'stored before'} (${new Date(b.checkpoint.signedAtMs).toISOString()}); ${published ?? 'not published again'}`,
    );
  if (result.auditRow)
    lines.push(
      `  recorded as audit row ${result.auditRow.seq} (erased, AUDIT.RETENTION), event ${result.auditRow.eventId}`,
    );
  return lines;
}

async function main(): Promise<number> {
  const db = auditDatabase();
  process.stdout.write(`audit store: schema ${db.schema} (${db.source})\n`);
  const config = loadConfig({
    ...natsSpec,
    MSX_AUDIT_SIGNING_KEY_FILE: str(''),
    MSX_AUDIT_LOG_ID: str(''),
  });
  const args = parseArgs(process.argv.slice(2), {
    values: ['before', 'justification', 'actor', 'witness-dir'],
    flags: ['dry-run', 'no-publish', 'progress'],
  });
  const before = beforeArg(args.values);
  const dryRun = args.flags.has('dry-run');
  const schema = db.schema;
  const logId = config.MSX_AUDIT_LOG_ID || schema;
  const request = {
    before,
    justification: args.values.get('justification')?.[0] ?? '',
    actorPerson: args.values.get('actor')?.[0] ?? userInfo().username,
    dryRun,
  };
  checkRetentionRequest(request); // refuse before reading any key or reaching the database
  // Never a new key here: a checkpoint signed by a key the witnesses do not know would be worthless.
  const key = dryRun
    ? undefined
    : loadSigningKey(config.MSX_AUDIT_SIGNING_KEY_FILE || resolve(LOCAL_SIGNING_KEY_FILE));
  const witnessCheckpoints = (args.values.get('witness-dir') ?? []).flatMap((dir) =>
    readWitnessCheckpoints(dir, logId),
  );

  const ds = createAuditDataSource({ url: db.url, schema, poolSize: 2 });
  await ds.initialize();
  const bar = new ProgressBar('verifying', wantProgress(args.flags));
  let verifying = false;
  let result: AuditRetentionResult;
  try {
    result = await runAuditRetention(ds, request, {
      key,
      logId,
      witnessCheckpoints,
      onStep: (line) => {
        if (verifying) bar.done(); // the verification ended: close its bar line first
        verifying = false;
        say(line);
      },
      onVerifyProgress: (done, total) => {
        verifying = true;
        bar.update(done, total);
      },
    });
  } finally {
    await ds.destroy();
  }

  const created = result.boundary?.created ? result.boundary.checkpoint : undefined;
  const published =
    created &&
    (args.flags.has('no-publish')
      ? 'not published (--no-publish); witnesses receive the later checkpoints the audit service publishes'
      : await publish(created));
  process.stdout.write(`${summary(schema, result, dryRun, published).join('\n')}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // By code, not instanceof (STYLE §7): every AUDIT.RETENTION_* error is a refusal that changed nothing.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('AUDIT.RETENTION_')) {
      process.stderr.write(`audit:retention: REFUSED (${code}): ${(err as Error).message}\n`);
      process.exit(1);
    }
    process.stderr.write(`audit:retention: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
