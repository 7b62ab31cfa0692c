import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** What an MSX service (and the benchmark's echo server) prints when it is up: `router ready`, `gateway ready on …`. */
export const READY_LINE = /\bready\b/;

/** How long a child may take to stop on SIGTERM before it is killed, in milliseconds, unless told otherwise. */
export const STOP_GRACE_MS = 10_000;

export interface ChildOptions {
  /** Name in reports and error messages: `router`, `nats-server`. */
  name: string;
  /** The executable; node itself (`process.execPath`) when omitted. */
  command?: string;
  args: string[];
  /** Added to the current environment. */
  env?: Record<string, string>;
  /**
   * Runs the child in a process group of its own, so that a Ctrl-C in the terminal reaches only the parent,
   * which stops its children in its own order (`npm start`: the services first, the servers last).
   */
  ownProcessGroup?: boolean;
  /** Called with every non-blank line the child prints, on stdout or stderr, as it comes. */
  onLine?: (line: string) => void;
  /** How many of its last lines to keep (for `lines` and error reports); all of them when omitted. */
  keepLines?: number;
  /** Called when the child could not be started at all (no such executable). */
  onError?: (err: Error) => void;
}

/** A child process started by {@link startChild}: its output, its readiness, its end. */
export interface ChildHandle {
  name: string;
  /** Undefined when it could not be started. */
  pid: number | undefined;
  /** The lines it printed so far (the last `keepLines` of them). */
  lines: string[];
  /** Its last `count` lines, one per line, for error reports. */
  tail(count?: number): string;
  /**
   * Resolves with the first line matching `pattern`, already printed or still to come; rejects, quoting its
   * last lines, when it exits first or after `timeoutMs`.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** How it ended: `0`, another exit code, the signal that ended it, or `error: …` when it never started. */
  exited: Promise<string>;
  /** True until it has exited. */
  running(): boolean;
  /**
   * SIGTERM, then SIGKILL when it is still running after `graceMs` (`onKill` is told just before); resolves
   * with how it ended.
   */
  stop(graceMs?: number, onKill?: () => void): Promise<string>;
  /** Sends a signal without waiting: for `process.on('exit')`, where nothing asynchronous runs. */
  stopNow(signal?: NodeJS.Signals): void;
  /** SIGKILL, no clean-up; resolves with how it ended. */
  kill(): Promise<string>;
}

/**
 * Starts a child process with piped output, split into lines (a line cut across two chunks is joined first),
 * kept and handed to `onLine`. The one wrapper the tests, `npm start` and the benchmark use.
 */
export function startChild(opts: ChildOptions): ChildHandle {
  const { name } = opts;
  const child = spawn(opts.command ?? process.execPath, opts.args, {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.ownProcessGroup ?? false,
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onLine = (line: string) => {
    if (line.trim() === '') return;
    lines.push(line);
    if (opts.keepLines !== undefined && lines.length > opts.keepLines) lines.shift();
    for (const w of [...waiters])
      if (w.pattern.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    opts.onLine?.(line);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    // Decoded by the stream, so a character cut across two chunks is joined before it is read.
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      for (const line of parts) onLine(line);
    });
    stream.on('end', () => {
      if (rest) onLine(rest);
      rest = '';
    });
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? String(code)));
    // `on`, not `once`: a later error (a failed kill) with no listener would crash this process.
    child.on('error', (err) => {
      // Only a child that never started ends here; other errors (a failed kill) leave it running.
      if (child.pid !== undefined) return;
      opts.onError?.(err);
      resolve(`error: ${err.message}`);
    });
  });
  let ended = false;
  void exited.then(() => (ended = true));
  const running = () => !ended && child.exitCode === null && child.signalCode === null;
  // A child leading its own group (a server helper) may have started processes of its own, such as the
  // postmaster: a forced stop ends the whole group, so none of them outlives it holding its port and data.
  const killHard = () => {
    try {
      if (opts.ownProcessGroup && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  const tail = (count = 20) => lines.slice(-count).join('\n');
  return {
    name,
    pid: child.pid,
    lines,
    tail,
    exited,
    running,
    waitForLine(pattern, timeoutMs = 30_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `${name} printed no line matching ${pattern} in ${timeoutMs} ms; last lines:\n${tail()}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolveLine(line);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited with ${code} before printing ${pattern}; last lines:\n${tail()}`));
        });
      });
    },
    async stop(graceMs = STOP_GRACE_MS, onKill) {
      if (!running()) return exited;
      const force = setTimeout(() => {
        if (!running()) return;
        onKill?.();
        killHard();
      }, graceMs);
      child.kill('SIGTERM');
      const how = await exited;
      clearTimeout(force);
      return how;
    },
    stopNow(signal = 'SIGTERM') {
      if (running()) child.kill(signal);
    },
    async kill() {
      if (running()) killHard();
      return exited;
    },
  };
}

/** The full path of an executable found on PATH (or the path itself when it contains a `/`), or undefined. */
export function onPath(command: string): string | undefined {
  if (command.includes('/')) return isExecutable(command) ? command : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
