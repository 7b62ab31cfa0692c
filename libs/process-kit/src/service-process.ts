import { resolve } from 'node:path';
import { startChild, type ChildHandle, type ChildOptions } from './child-process.js';

/** An MSX service started from the build (`dist/apps/<app>/src/main.js`) as its own process. */
export type ServiceProcess = ChildHandle;

/** The built entry point of an app under `apps/`, relative to the checkout the process runs in. */
export function serviceMain(app: string): string {
  return resolve('dist', 'apps', app, 'src', 'main.js');
}

/**
 * Starts a service of the build with `env` added to the current environment. Its name in reports is the
 * app's unless `opts.name` says otherwise (`cp-it`, `audit-2`).
 */
export function startService(
  app: string,
  env: Record<string, string>,
  opts: Partial<Omit<ChildOptions, 'command' | 'args' | 'env'>> = {},
): ServiceProcess {
  return startChild({ ...opts, name: opts.name ?? app, args: [serviceMain(app)], env });
}
