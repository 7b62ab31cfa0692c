/**
 * `npm run audit:export -- --from <ISO> --to <ISO> --format csv|jsonl [--out <file>] [--progress]`
 *
 * Streams the audit rows recorded in [from, to) from MSX_DATABASE_URL / MSX_DATABASE_SCHEMA, in trail order,
 * as CSV (RFC 4180, header line) or JSON Lines, to `--out` (created with mode 0600) or stdout. The progress
 * bar and the summary go to stderr, so stdout carries only data.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { countAuditRows, csvLine, EXPORT_COLUMNS, exportAuditRows, jsonLine } from '#audit-store';
import { auditDatabase } from './exchange/audit-database.js';
import { parseArgs, perSecond, ProgressBar, wantProgress } from './audit-cli.js';

function isoArg(values: Map<string, string[]>, name: string): Date {
  const raw = values.get(name)?.[0];
  if (!raw) throw new Error(`--${name} <ISO 8601 time> is required`);
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw new Error(`--${name} must be an ISO 8601 time, got "${raw}"`);
  return d;
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function main(): Promise<void> {
  const store = auditDatabase();
  process.stderr.write(`audit store: schema ${store.schema} (${store.source})\n`);
  const args = parseArgs(process.argv.slice(2), {
    values: ['from', 'to', 'format', 'out'],
    flags: ['progress'],
  });
  const from = isoArg(args.values, 'from');
  const to = isoArg(args.values, 'to');
  if (to <= from) throw new Error('--to must be after --from');
  const format = args.values.get('format')?.[0] ?? 'jsonl';
  if (format !== 'csv' && format !== 'jsonl')
    throw new Error(`--format must be csv or jsonl, got "${format}"`);
  const outPath = args.values.get('out')?.[0];
  const out: Writable = outPath ? createWriteStream(outPath, { mode: 0o600 }) : process.stdout;

  const db = { url: store.url, schema: store.schema };
  const started = Date.now();
  const total = await countAuditRows(db, from, to);
  const bar = new ProgressBar(
    'exporting',
    wantProgress(args.flags) && (Boolean(outPath) || !process.stdout.isTTY),
  );
  let rows = 0;
  if (format === 'csv') await write(out, csvLine(EXPORT_COLUMNS));
  for await (const page of exportAuditRows(db, from, to)) {
    await write(out, page.map(format === 'csv' ? csvLine : jsonLine).join(''));
    rows += page.length;
    bar.update(rows, total);
  }
  bar.done();
  if (outPath) {
    out.end();
    await once(out, 'finish');
  }
  const ms = Date.now() - started;
  process.stderr.write(
    `exported ${rows.toLocaleString('en')} audit rows recorded ${from.toISOString()} … ${to.toISOString()}` +
      ` as ${format} to ${outPath ?? 'stdout'} in ${(ms / 1000).toFixed(2)} s (${perSecond(rows, ms)} rows/s)\n`,
  );
}

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

main().catch((err: unknown) => {
  process.stderr.write(`audit:export: ${(err as Error).message}\n`);
  process.exit(2);
});
