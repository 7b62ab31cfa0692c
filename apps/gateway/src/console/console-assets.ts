import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The content policy of the console's page and assets: its own script, style and API calls only; no inline
 * script or style, no form posting anywhere, no framing, no `<base>`. Every other route keeps the gateway's
 * closed policy (`default-src 'none'`).
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/** The files the build makes in `dist/console/` (scripts/build-console.ts), by the name they are served under. */
export const CONSOLE_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  'app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/**
 * Where the built console is: `dist/console/` of the checkout. This module runs from
 * `dist/apps/gateway/src/console/` (the build) or, in tests, from `apps/gateway/src/console/` (the source).
 */
export function consoleDir(moduleUrl: string): string {
  const above = fileURLToPath(new URL('../../../..', moduleUrl));
  return basename(above) === 'dist' ? join(above, 'console') : join(above, 'dist', 'console');
}

/** The console's files, read once each from `dir` when first asked for. */
export class ConsoleAssets {
  private readonly read = new Map<string, Buffer>();

  constructor(readonly dir: string) {}

  /** The file served as `name`, or undefined for a name the console does not have or a build without it. */
  async get(name: string): Promise<{ body: Buffer; type: string } | undefined> {
    const entry = Object.hasOwn(CONSOLE_FILES, name) ? CONSOLE_FILES[name] : undefined;
    if (!entry) return undefined;
    let body = this.read.get(entry.file);
    if (!body) {
      body = await readFile(join(this.dir, entry.file)).catch(() => undefined);
      if (!body) return undefined;
      this.read.set(entry.file, body);
    }
    return { body, type: entry.type };
  }
}
