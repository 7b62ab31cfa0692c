import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

/**
 * `npm run x` runs its script under `sh -c`, which does not pass SIGTERM or SIGINT on to its child: a
 * long-running script must `exec` its last process, or one signal to `npm start` (what systemd, Docker and
 * CI send) leaves the supervisor and everything it started running. test/npm-start.e2e-spec.ts proves the
 * mechanism on `start:built`; this keeps `start` on the same one.
 */
const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
  .scripts;

describe('the long-running npm scripts', () => {
  it('build, then exec the same process start:built runs', () => {
    expect(scripts['start:built']).toBe('exec node dist/scripts/start.js');
    expect(scripts.start).toBe(`npm run build && ${scripts['start:built']}`);
  });

  it.each(['demo', 'bench'])('%s execs its process after the build', (name) => {
    expect(scripts[name]).toMatch(/^npm run build && exec node dist\/\S+\.js$/);
  });
});
