/**
 * Builds the console (apps/gateway/console, Preact with htm) into `dist/console/`: `app.js` (one ES module,
 * Preact bundled in), `app.css` and `index.html`, the three files the gateway serves under `/console/`.
 * Run by `npm run build` after tsc; the console's TypeScript is type checked with the rest (`npm run
 * typecheck`) and kept out of the server's build (tsconfig.build.json compiles `apps/*\/src` only).
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The checkout: this script runs as dist/scripts/build-console.js. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = join(ROOT, 'apps', 'gateway', 'console');
const OUT = join(ROOT, 'dist', 'console');

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning' } as const;
await build({
  ...common,
  entryPoints: { app: join(SOURCE, 'main.ts') },
  outdir: OUT,
  format: 'esm',
  platform: 'browser',
  // Chromium, Firefox and Safari of the last two years: top-level await and class fields are fine.
  target: ['es2022'],
});
await build({ ...common, entryPoints: { app: join(SOURCE, 'app.css') }, outdir: OUT });
// Silent on success, as tsc is: `npm run --silent admin` prints only what the command prints (a token).
copyFileSync(join(SOURCE, 'index.html'), join(OUT, 'index.html'));
