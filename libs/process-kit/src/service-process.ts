import { resolve } from 'node:path';
import { startChild, type ChildHandle, type ChildOptions } from './child-process.js';

/** An MSX service started from the build (`dist/apps/<app>/src/main.js`) as its own process. */
export type ServiceProcess = ChildHandle;

/** The built entry point of an app under `apps/`, relative to the checkout the process runs in. */
export function serviceMain(app: string): string {
  return resolve('dist', 'apps', app, 'src', 'main.js');
}

/**
 * How the C allocator of a service process is set (glibc reads these at start). Under load a service passes
 * many buffers of tens of kilobytes (copies, TLS records, socket reads); by default glibc serves those from
 * per-thread arenas and keeps their pages once freed, so a router that carried 100 KB debriefings stayed at
 * close to 400 MB resident at rest, of which about 40 MB was the JavaScript heap. With two arenas, and
 * buffers of 32 KB and more mapped on their own and unmapped when freed, it gives them back. Set in the
 * environment, a variable wins.
 */
export const SERVICE_ALLOCATOR_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '32768',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/** The variables a service is started with besides the current environment: the allocator's, then `env`. */
export function serviceEnv(
  env: Record<string, string>,
  current: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const allocator = Object.entries(SERVICE_ALLOCATOR_ENV).filter(([k]) => current[k] === undefined);
  return { ...Object.fromEntries(allocator), ...env };
}

/**
 * Starts a service of the build with `env` added to the current environment and to
 * {@link SERVICE_ALLOCATOR_ENV}. Its name in reports is the app's unless `opts.name` says otherwise (`cp-it`,
 * `audit-2`).
 */
export function startService(
  app: string,
  env: Record<string, string>,
  opts: Partial<Omit<ChildOptions, 'command' | 'args' | 'env'>> = {},
): ServiceProcess {
  return startChild({ ...opts, name: opts.name ?? app, args: [serviceMain(app)], env: serviceEnv(env) });
}
