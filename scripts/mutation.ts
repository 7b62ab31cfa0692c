/**
 * `npm run test:mutation [-- <module>…] [--threshold 90] [--concurrency 2]`: mutation testing (Stryker, the jest runner in ESM
 * mode) of the modules whose bugs matter most — the sharing rules, the contract's validation, the audit
 * chain and its verifier, and the router's planner — each against its own tests only, so a run stays within
 * minutes. Prints the score per module and every surviving mutant with file and line; a survivor listed in
 * `test/mutation-equivalents.json` (a mutant that changes no behaviour, with the reason) is not counted.
 * Exits 1 when a module scores below the threshold (default 90 %).
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Stryker } from '@stryker-mutator/core';
import type { LogLevel, MutantResult } from '@stryker-mutator/api/core';

interface MutationModule {
  /** Files whose code is mutated. */
  mutate: string[];
  /** Tests run against each mutant. */
  tests: string[];
}

export const MUTATION_MODULES: Record<string, MutationModule> = {
  policy: {
    mutate: [
      'libs/policy/src/**/*.ts',
      '!libs/policy/src/**/*.spec.ts',
      '!libs/policy/src/policy-fixtures.ts',
    ],
    tests: ['<rootDir>/libs/policy/src/**/*.spec.ts'],
  },
  validation: {
    mutate: [
      'libs/contracts/src/validation/**/*.ts',
      '!libs/contracts/src/validation/**/*.spec.ts',
      '!libs/contracts/src/validation/*fixture*.ts',
      '!libs/contracts/src/validation/index.ts',
    ],
    tests: ['<rootDir>/libs/contracts/src/validation/**/*.spec.ts'],
  },
  'audit-chain': {
    mutate: [
      'libs/audit-store/src/audit-chain.ts',
      'libs/audit-store/src/chained-row.ts',
      'libs/audit-store/src/verify-audit-chain.ts',
    ],
    tests: [
      '<rootDir>/libs/audit-store/src/audit-chain.spec.ts',
      '<rootDir>/libs/audit-store/src/verify-audit-chain.int-spec.ts',
      '<rootDir>/libs/audit-store/src/audit-repository.int-spec.ts',
    ],
  },
  'router-planner': {
    mutate: ['apps/router/src/route-message/route-message.handler.ts'],
    tests: ['<rootDir>/apps/router/src/route-message/route-message.handler.spec.ts'],
  },
};

interface Equivalent {
  file: string;
  line: number;
  mutator: string;
  /** Why the mutant changes no behaviour. */
  why: string;
}

const KILLED = new Set(['Killed', 'Timeout']);
const COUNTED = new Set(['Killed', 'Timeout', 'Survived', 'NoCoverage']);

function equivalents(): Equivalent[] {
  try {
    return JSON.parse(readFileSync('test/mutation-equivalents.json', 'utf8')) as Equivalent[];
  } catch {
    return [];
  }
}

const isEquivalent = (m: MutantResult, known: Equivalent[]) =>
  known.some(
    (e) =>
      relative('.', m.fileName) === e.file && m.location.start.line === e.line && m.mutatorName === e.mutator,
  );

async function run(name: string, module: MutationModule, concurrency: number): Promise<MutantResult[]> {
  const jestConfig = (await import(pathToFileURL(resolve('jest.config.js')).href)) as {
    default: { projects: Record<string, unknown>[] };
  };
  const common = jestConfig.default.projects[0];
  return new Stryker({
    mutate: module.mutate,
    testRunner: 'jest',
    testRunnerNodeArgs: ['--experimental-vm-modules'],
    jest: {
      projectType: 'custom',
      config: { ...common, displayName: `mutation-${name}`, testMatch: module.tests, testTimeout: 60_000 },
      enableFindRelatedTests: false,
    },
    coverageAnalysis: 'perTest',
    // Results are kept per module; a later run tests only the mutants whose code or tests changed.
    incremental: true,
    incrementalFile: `reports/mutation/${name}.incremental.json`,
    concurrency,
    timeoutMS: 20_000,
    reporters: ['progress'],
    // One folder per module, so that runs of different modules side by side never clean each other's up.
    tempDirName: `.stryker-tmp/${name}`,
    cleanTempDir: true,
    ignorePatterns: ['dist', 'bench/results', '.msx', 'reports'],
    logLevel: 'warn' as LogLevel,
  }).runMutationTest();
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--threshold');
  const threshold = at >= 0 ? Number(args[at + 1]) : 90;
  const c = args.indexOf('--concurrency');
  const concurrency = c >= 0 ? Number(args[c + 1]) : 2;
  const names = args.filter(
    (a, i) => !a.startsWith('--') && args[i - 1] !== '--threshold' && args[i - 1] !== '--concurrency',
  );
  for (const n of names)
    if (!MUTATION_MODULES[n])
      throw new Error(`unknown module ${n}; one of ${Object.keys(MUTATION_MODULES).join(', ')}`);
  const known = equivalents();
  const lines: string[] = [];
  let below = 0;
  for (const name of names.length ? names : Object.keys(MUTATION_MODULES)) {
    const results = await run(name, MUTATION_MODULES[name], concurrency);
    const counted = results.filter((m) => COUNTED.has(m.status) && !isEquivalent(m, known));
    const killed = counted.filter((m) => KILLED.has(m.status)).length;
    const score = counted.length ? (100 * killed) / counted.length : 100;
    const survivors = counted.filter((m) => !KILLED.has(m.status));
    if (score < threshold) below++;
    lines.push(
      `${name}: ${score.toFixed(1)} % (${killed} of ${counted.length} killed; ${results.length - counted.length} equivalent or not compiled)${score < threshold ? `  BELOW ${threshold} %` : ''}`,
      ...survivors.map(
        (m) =>
          `  ${m.status === 'NoCoverage' ? 'not covered' : 'survived'}: ${relative('.', m.fileName)}:${m.location.start.line} ${m.mutatorName}${m.replacement ? ` → ${m.replacement.replace(/\s+/g, ' ').slice(0, 80)}` : ''}`,
      ),
    );
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
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
