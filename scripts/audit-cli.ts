/** What the audit commands share: argument parsing, a progress bar on stderr, rates. */

/** Parses `--name value` and `--flag` arguments; repeated names collect every value. */
export function parseArgs(
  argv: readonly string[],
  known: { values: readonly string[]; flags: readonly string[] },
): { values: Map<string, string[]>; flags: Set<string> } {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument ${argv[i]}`);
    if (known.flags.includes(name)) flags.add(name);
    else if (known.values.includes(name)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
      values.set(name, [...(values.get(name) ?? []), value]);
    } else throw new Error(`unknown option --${name}`);
  }
  return { values, flags };
}

/** A one-line progress bar on stderr, drawn only when stderr is a terminal or `--progress` was given. */
export class ProgressBar {
  private readonly started = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly label: string,
    private readonly enabled: boolean,
  ) {}

  private last = { done: 0, total: 0 };

  update(done: number, total: number, force = false): void {
    this.last = { done, total };
    if (!this.enabled || (!force && Date.now() - this.lastDraw < 100)) return;
    this.lastDraw = Date.now();
    const ratio = total > 0 ? Math.min(done / total, 1) : 0;
    const width = 30;
    const bar = '█'.repeat(Math.round(ratio * width)).padEnd(width, '░');
    const rate = perSecond(done, Date.now() - this.started);
    process.stderr.write(
      `\r${this.label} ${bar} ${(ratio * 100).toFixed(1).padStart(5)}% ${done.toLocaleString('en')}/${total.toLocaleString('en')} rows, ${rate} rows/s `,
    );
  }

  done(): void {
    this.update(this.last.done, this.last.total, true);
    if (this.enabled) process.stderr.write('\n');
  }
}

/** Rows per second, rounded. */
export function perSecond(rows: number, ms: number): string {
  return Math.round(rows / Math.max(ms / 1000, 0.001)).toLocaleString('en');
}

/** Whether to draw a progress bar. */
export const wantProgress = (flags: Set<string>) => flags.has('progress') || Boolean(process.stderr.isTTY);
