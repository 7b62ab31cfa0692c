/** The benchmark's report: the figures, their ratios against the goals of DESIGN §8, as a table and as JSON. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';

/** One line of the goals table. */
export interface GoalLine {
  figure: string;
  /** MSX's measurement, in words with its unit. */
  measured: string;
  /** The raw limit it is divided by, measured in the same run; empty for absolute goals. */
  baseline: string;
  /** The value compared with the goal: a ratio, or the absolute figure. */
  value: number | null;
  goal: string;
  /** Whether `value` meets the goal; undefined when it could not be measured. */
  met: boolean | undefined;
  note?: string;
}

export interface BenchReport {
  mode: 'quick' | 'default';
  startedAt: string;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; node: string };
  /** Every raw measurement, by name, with units in the names. */
  figures: Record<string, number | string | null>;
  goals: GoalLine[];
  /** Measurements that failed, with the reason. */
  errors: Record<string, string>;
}

export function machine(): BenchReport['machine'] {
  const c = cpus();
  return { cpus: c.length, cpuModel: c[0]?.model ?? 'unknown', node: process.version };
}

const fmt = (v: number | null, digits = 2) =>
  v === null || Number.isNaN(v)
    ? 'n/a'
    : v >= 100
      ? Math.round(v).toLocaleString('en-US')
      : v.toFixed(digits);

/** A table of the goals, one line each, for the terminal. */
export function goalsTable(goals: readonly GoalLine[]): string {
  const head = ['figure', 'MSX', 'raw limit (same run)', 'ratio / value', 'goal', 'met'];
  const rows = goals.map((g) => [
    g.figure,
    g.measured,
    g.baseline || '—',
    fmt(g.value, g.value !== null && g.value < 1 ? 3 : 2),
    g.goal,
    g.met === undefined ? 'n/a' : g.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const notes = goals.filter((g) => g.note).map((g) => `  ${g.figure}: ${g.note}`);
  return [line(head), sep, ...rows.map(line), ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n');
}

/** Writes the report as `bench/results/<timestamp>-<mode>.json` and returns the path. */
export function writeReport(report: BenchReport): string {
  const dir = resolve('bench/results');
  mkdirSync(dir, { recursive: true });
  const path = resolve(dir, `${report.startedAt.replace(/[:.]/g, '-')}-${report.mode}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

export { fmt };
