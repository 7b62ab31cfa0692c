/**
 * Three tiers (STYLE §12): `unit` (*.spec.ts, no I/O), `integration` (*.int-spec.ts, real NATS and
 * PostgreSQL; those that bring up more than one app in one process live in test/), `e2e`
 * (test/*.e2e-spec.ts, the services as processes). ESM mode: NestJS 12 is ESM-only.
 */
const libs = [
  'contracts',
  'messaging',
  'policy',
  'directory',
  'audit-store',
  'config',
  'runtime',
  'node-app',
  'process-kit',
  'identity',
  'testing',
];

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    ...Object.fromEntries(libs.map((lib) => [`^#${lib}$`, `<rootDir>/libs/${lib}/src/index.ts`])),
    '^#testing/envelopes$': '<rootDir>/libs/testing/src/envelopes/index.ts',
    // The node-app harness loads NestJS and TypeORM: only the tests that start a node app import it.
    '^#testing/node-app$': '<rootDir>/libs/testing/src/node-app.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }] },
};

/** @type {import('jest').Config} */
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.int-spec.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
  // Per test; integration and end-to-end tests start real servers. Jest takes this option only globally.
  testTimeout: 60_000,
};
