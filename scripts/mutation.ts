/**
 * `npm run test:mutation [-- <module>…] [--survivors] [--threshold 90] [--concurrency 2] [--ignore-static]`: mutation testing
 * (Stryker, the jest runner in ESM mode) of the modules whose bugs matter most — the sharing rules, the
 * contract's validation, the audit chain and its verifier, and the router's planner — each against its own
 * tests only. Prints the score per module and every surviving mutant with file and line, and keeps them in
 * `reports/mutation/<module>.json`; `--survivors` then tests again only the code of those survivors, after
 * tests were added (all of the module again when its code changed since: the survivors' places would no
 * longer hold). A survivor listed in `test/mutation-equivalents.json` (a mutant that changes no
 * behaviour, with the reason) is not counted. Exits 1 when a module scores below the threshold (default 90 %).
 * `--ignore-static` leaves out static mutants (module-level values, which every test must run against since
 * no coverage can tell which tests reach them): in the policy module 315 of 1,100 mutants, about half of its
 * run's time. CI measures them.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Stryker } from '@stryker-mutator/core';
import type { LogLevel, MutantResult } from '@stryker-mutator/api/core';
import { isEquivalentSurvivor, type Equivalent, type Survivor } from './mutation-equivalents.js';

interface MutationPart {
  /** Files whose code is mutated. */
  mutate: string[];
  /** Tests run against each mutant: spec files, or folders whose `*.spec.ts` and `*.int-spec.ts` files are taken. */
  tests: string[];
  /**
   * How much longer than 1.5 times its tests' own time a mutant may run before it counts as killed by a
   * timeout (5 s unless set). Integration tests vary with the database's load: a margin too tight for them
   * would count slow runs as kills; one too wide makes every mutant that loops (a page read again and
   * again) cost that much.
   */
  timeoutMS?: number;
}

/**
 * A module is scored as one, but may be measured in parts, each file against only the tests that exercise
 * it: a pure function's mutants then never wait for a database built for the verifier's tests.
 */
type MutationModule = MutationPart | { parts: MutationPart[] };

const partsOf = (module: MutationModule): MutationPart[] => ('parts' in module ? module.parts : [module]);

export const MUTATION_MODULES: Record<string, MutationModule> = {
  policy: {
    mutate: [
      'libs/policy/src/**/*.ts',
      '!libs/policy/src/**/*.spec.ts',
      '!libs/policy/src/policy-fixtures.ts',
    ],
    tests: ['libs/policy/src/'],
  },
  validation: {
    mutate: [
      'libs/contracts/src/validation/**/*.ts',
      '!libs/contracts/src/validation/**/*.spec.ts',
      '!libs/contracts/src/validation/*fixture*.ts',
      '!libs/contracts/src/validation/index.ts',
    ],
    tests: ['libs/contracts/src/validation/'],
  },
  'audit-chain': {
    parts: [
      {
        mutate: ['libs/audit-store/src/audit-chain.ts'],
        tests: ['libs/audit-store/src/audit-chain.spec.ts'],
      },
      {
        mutate: ['libs/audit-store/src/chained-row.ts'],
        tests: [
          'libs/audit-store/src/audit-chain.spec.ts',
          'libs/audit-store/src/audit-repository.int-spec.ts',
          'libs/audit-store/src/verify-audit-chain.int-spec.ts',
        ],
        timeoutMS: 10_000,
      },
      {
        mutate: ['libs/audit-store/src/audit-columns.ts'],
        tests: [
          'libs/audit-store/src/audit-columns.spec.ts',
          'libs/audit-store/src/audit-repository.int-spec.ts',
        ],
        timeoutMS: 10_000,
      },
      {
        // The readers side by side run the build in their worker threads, not the mutant: the cases with one
        // reader, in the test's own thread, are the ones that meet the mutants of verify-range.ts.
        mutate: ['libs/audit-store/src/verify-audit-chain.ts', 'libs/audit-store/src/verify-range.ts'],
        tests: ['libs/audit-store/src/verify-audit-chain.int-spec.ts'],
        timeoutMS: 10_000,
      },
      {
        mutate: ['libs/audit-store/src/copy-rows.ts'],
        tests: [
          'libs/audit-store/src/copy-rows.spec.ts',
          'libs/audit-store/src/jsonb-detail.int-spec.ts',
          'libs/audit-store/src/verify-audit-chain.int-spec.ts',
        ],
        timeoutMS: 10_000,
      },
    ],
  },
  'router-planner': {
    mutate: [
      'apps/router/src/route-message/route-message.handler.ts',
      'apps/router/src/expire-items/expiry-recall.ts',
    ],
    tests: [
      'apps/router/src/route-message/route-message.handler.spec.ts',
      'apps/router/src/expire-items/expiry-recall.spec.ts',
    ],
  },
};

/** Whether static mutants are left out (`--ignore-static`). */
const IGNORE_STATIC = process.argv.includes('--ignore-static');

const KILLED = new Set(['Killed', 'Timeout']);
const COUNTED = new Set(['Killed', 'Timeout', 'Survived', 'NoCoverage']);

function equivalents(): Equivalent[] {
  try {
    return JSON.parse(readFileSync('test/mutation-equivalents.json', 'utf8')) as Equivalent[];
  } catch {
    return [];
  }
}

const isEquivalent = (m: MutantResult, known: Equivalent[]) => isEquivalentSurvivor(survivorOf(m), known);

const SUITES = 'mutation-suites';

/**
 * One jest suite that imports every spec of the module. Jest loads each suite's modules afresh, and each
 * mutant runs every suite, so one suite instead of five takes a mutant from seconds of loading to one
 * load. The file is generated (and ignored by git), so a new spec file is never left out.
 */
function suiteOf(name: string, part: MutationPart): string {
  const specs = part.tests.flatMap((t) =>
    t.endsWith('/')
      ? readdirSync(t, { recursive: true, encoding: 'utf8' })
          .filter((f) => f.endsWith('.spec.ts') || f.endsWith('.int-spec.ts'))
          .sort()
          .map((f) => join(t, f))
      : [t],
  );
  mkdirSync(SUITES, { recursive: true });
  const file = join(SUITES, `${name}.mutation.ts`);
  writeFileSync(
    file,
    `// Generated by scripts/mutation.ts: every spec of the ${name} module in one suite.\n` +
      specs.map((s) => `import '../${s.replace(/\.ts$/, '.js')}';\n`).join(''),
  );
  return `<rootDir>/${file}`;
}

/** What the last full run of a module left: its figures, and every mutant no test killed. */
interface ModuleReport {
  counted: number;
  killed: number;
  survivors: Survivor[];
  /** SHA-256 of each mutated file as the full run found it: survivors' places hold only while it is unchanged. */
  sources: Record<string, string>;
}

const reportFile = (name: string) => `reports/mutation/${name}.json`;
const sourceHash = (file: string) => {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return 'missing';
  }
};
const survivorOf = (m: MutantResult): Survivor => ({
  file: relative('.', m.fileName),
  line: m.location.start.line,
  column: m.location.start.column,
  endLine: m.location.end.line,
  endColumn: m.location.end.column,
  mutator: m.mutatorName,
  replacement: m.replacement,
  status: m.status,
});
const sameMutant = (a: Survivor, b: Survivor) =>
  a.file === b.file &&
  a.line === b.line &&
  a.column === b.column &&
  // A condition and its first operand start at one place and take the same replacement: the end tells them apart.
  (a.endColumn === undefined ||
    b.endColumn === undefined ||
    (a.endLine === b.endLine && a.endColumn === b.endColumn)) &&
  a.mutator === b.mutator &&
  a.replacement === b.replacement;

/**
 * Runs the mutants of a module, part by part. `only` (places `file:from-to`, after a full run) narrows each
 * part to those of its files' places; a part with none is skipped.
 */
async function run(
  name: string,
  module: MutationModule,
  concurrency: number,
  only?: string[],
): Promise<MutantResult[]> {
  const parts = partsOf(module);
  const results: MutantResult[] = [];
  for (const [i, part] of parts.entries()) {
    const label = parts.length > 1 ? `${name}-${i + 1}` : name;
    const mutate =
      only === undefined
        ? part.mutate
        : only.filter(
            (place) => parts.length === 1 || part.mutate.includes(place.slice(0, place.lastIndexOf(':'))),
          );
    if (mutate.length === 0) continue;
    if (parts.length > 1)
      process.stdout.write(`${name}: part ${i + 1} of ${parts.length}, ${part.mutate.join(', ')}\n`);
    results.push(...(await runPart(label, part, mutate, concurrency)));
  }
  return results;
}

async function runPart(
  name: string,
  part: MutationPart,
  mutate: string[],
  concurrency: number,
): Promise<MutantResult[]> {
  const jestConfig = (await import(pathToFileURL(resolve('jest.config.js')).href)) as {
    default: { projects: Record<string, unknown>[] };
  };
  const common = jestConfig.default.projects[0];
  return new Stryker({
    mutate,
    testRunner: 'jest',
    testRunnerNodeArgs: ['--experimental-vm-modules'],
    jest: {
      projectType: 'custom',
      config: {
        ...common,
        displayName: `mutation-${name}`,
        // Stryker reads jest.config.js and lays this over it: without this, its unit, integration and e2e
        // projects stay, and every mutant ran its tests once per project, three times in all.
        projects: [],
        testMatch: [suiteOf(name, part)],
        // A run stops at its first failure, and a test that hangs fails at this timeout: well above the
        // slowest test (about 5 s, twice that under the load of a mutation run), and below Stryker's own
        // timeout, which would also restart the worker.
        // An absolute path: Stryker loads the environment itself, before jest would expand `<rootDir>`.
        testEnvironment: resolve('scripts/mutation-bail-environment.cjs'),
        testTimeout: 15_000,
      },
      enableFindRelatedTests: false,
    },
    coverageAnalysis: 'perTest',
    ignoreStatic: IGNORE_STATIC,
    // No incremental mode: every spec runs inside the one generated suite, whose own text does not change
    // when a spec does, so Stryker could not tell which results a changed test makes stale.
    incremental: false,
    concurrency,
    // A mutant that loops is given up after this much more than the tests' own time.
    timeoutMS: part.timeoutMS ?? 5_000,
    reporters: ['progress'],
    // One folder per module, so that runs of different modules side by side never clean each other's up.
    tempDirName: `.stryker-tmp/${name}`,
    cleanTempDir: true,
    ignorePatterns: ['dist', 'bench/results', '.msx', 'reports'],
    logLevel: 'warn' as LogLevel,
  }).runMutationTest();
}

const describeSurvivor = (m: Survivor) =>
  `  ${m.status === 'NoCoverage' ? 'not covered' : 'survived'}: ${m.file}:${m.line}:${m.column} ${m.mutator}${m.replacement ? ` → ${m.replacement.replace(/\s+/g, ' ').slice(0, 80)}` : ''}`;

/**
 * A full run: every mutant of the module. With `--survivors`, only the lines of the last full run's
 * survivors are mutated again (minutes instead of most of an hour, after tests were added); the module's
 * score is then the last full run's with the survivors now killed counted as killed.
 */
async function measure(
  name: string,
  concurrency: number,
  survivorsOnly: boolean,
  known: Equivalent[],
): Promise<{ report: ModuleReport; recheck?: string }> {
  const module = MUTATION_MODULES[name];
  if (!survivorsOnly) {
    const results = await run(name, module, concurrency);
    const counted = results.filter((m) => COUNTED.has(m.status) && !isEquivalent(m, known));
    return {
      report: {
        counted: counted.length,
        killed: counted.filter((m) => KILLED.has(m.status)).length,
        survivors: counted.filter((m) => !KILLED.has(m.status)).map(survivorOf),
        sources: Object.fromEntries(
          [...new Set(results.map((m) => relative('.', m.fileName)))].sort().map((f) => [f, sourceHash(f)]),
        ),
      },
    };
  }
  let last: ModuleReport | undefined;
  try {
    last = JSON.parse(readFileSync(reportFile(name), 'utf8')) as ModuleReport;
  } catch {
    last = undefined;
  }
  const changed = Object.entries(last?.sources ?? {})
    .filter(([file, hash]) => hash !== sourceHash(file))
    .map(([file]) => file);
  if (!last?.sources || changed.length > 0) {
    process.stdout.write(
      `${name}: ${last?.sources ? `changed since its last full run: ${changed.join(', ')}` : 'no full run on record'}; running all its mutants\n`,
    );
    return measure(name, concurrency, false, known);
  }
  const open = last.survivors.filter((s) => !isEquivalentSurvivor(s, known));
  // Survivors explained as equivalent since the last run are no longer counted.
  const equivalentNow = last.survivors.length - open.length;
  if (open.length === 0) return { report: { ...last, counted: last.counted - equivalentNow, survivors: [] } };
  const lines = [...new Set(open.map((s) => `${s.file}:${s.line}-${s.endLine}`))];
  const results = (await run(name, module, concurrency, lines)).map((m) => ({
    ...survivorOf(m),
    killed: KILLED.has(m.status),
  }));
  // Killed only when every mutant found again at its place was killed: a report without end columns cannot
  // tell a condition from its first operand, and one of them surviving keeps the survivor open.
  const still = open.filter((s) => {
    const again = results.filter((r) => sameMutant(r, s));
    return again.length === 0 || again.some((r) => !r.killed);
  });
  return {
    report: {
      counted: last.counted - equivalentNow,
      killed: last.killed + (open.length - still.length),
      survivors: still,
      sources: last.sources,
    },
    recheck: `${open.length - still.length} of ${open.length} survivors of the last full run now killed`,
  };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--threshold');
  const threshold = at >= 0 ? Number(args[at + 1]) : 90;
  const c = args.indexOf('--concurrency');
  const concurrency = c >= 0 ? Number(args[c + 1]) : 2;
  const survivorsOnly = args.includes('--survivors');
  const names = args.filter(
    (a, i) => !a.startsWith('--') && args[i - 1] !== '--threshold' && args[i - 1] !== '--concurrency',
  );
  for (const n of names)
    if (!MUTATION_MODULES[n])
      throw new Error(`unknown module ${n}; one of ${Object.keys(MUTATION_MODULES).join(', ')}`);
  // Property tests run fewer cases per mutant (their seed stays fixed); the full suite runs them all.
  process.env.MSX_PROPERTY_RUNS ??= '300';
  const known = equivalents();
  const lines: string[] = [];
  let below = 0;
  mkdirSync('reports/mutation', { recursive: true });
  for (const name of names.length ? names : Object.keys(MUTATION_MODULES)) {
    const { report, recheck } = await measure(name, concurrency, survivorsOnly, known);
    writeFileSync(reportFile(name), `${JSON.stringify(report, null, 2)}\n`);
    const score = report.counted ? (100 * report.killed) / report.counted : 100;
    if (score < threshold) below++;
    lines.push(
      `${name}: ${score.toFixed(1)} % (${report.killed} of ${report.counted} killed${recheck ? `; ${recheck}` : ''})${score < threshold ? `  BELOW ${threshold} %` : ''}`,
      ...report.survivors.map(describeSurvivor),
    );
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
  if (IGNORE_STATIC) lines.push('(static mutants left out: --ignore-static)');
  process.stdout.write(`\nmutation scores\n${lines.filter((l) => !l.startsWith('  ')).join('\n')}\n`);
  return below > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test:mutation: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
