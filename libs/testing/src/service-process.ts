import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** An MSX service started from the build (`dist/apps/<app>/src/main.js`) as its own process. */
export interface ServiceProcess {
  name: string;
  /** Everything it printed so far, line by line. */
  lines: string[];
  /** Resolves with the first line matching `pattern`, already printed or still to come. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then waits for the exit: `0`, another code, or the signal that ended it. */
  stop(): Promise<string>;
  /** SIGKILL, no clean-up. */
  kill(): Promise<void>;
  /** How the process ended: `0`, another exit code, or the signal that ended it. */
  exited: Promise<string>;
}

/** Starts a service with the given environment added to the current one. */
export function startService(app: string, env: Record<string, string>, name: string = app): ServiceProcess {
  const main = resolve('dist', 'apps', app, 'src', 'main.js');
  const proc: ChildProcess = spawn(process.execPath, [main], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<string>((r) => proc.once('exit', (code, signal) => r(signal ?? String(code))));
  return {
    name,
    lines,
    exited,
    waitForLine(pattern, timeoutMs = 30_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `${name} printed no line matching ${pattern} in ${timeoutMs} ms; last lines:\n${lines.slice(-20).join('\n')}`,
            ),
          );
        }, timeoutMs);
        waiters.push({
          pattern,
          resolve: (l) => {
            clearTimeout(timer);
            resolveLine(l);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(
            new Error(
              `${name} exited with ${code} before printing ${pattern}; last lines:\n${lines.slice(-20).join('\n')}`,
            ),
          );
        });
      });
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
