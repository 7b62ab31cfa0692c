import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** A process the benchmark started: a service from the build or a helper such as the echo server. */
export interface BenchProcess {
  name: string;
  pid: number;
  /** The last lines it printed, for error reports. */
  tail(): string;
  /** Resolves when it printed a line matching `/\bready\b/`; rejects if it exits first or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGTERM, SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `node <script>` with `env` added, keeping its output to itself (the benchmark prints a table). */
export function launch(name: string, script: string, env: Record<string, string>): BenchProcess {
  const child: ChildProcess = spawn(process.execPath, [resolve(script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let isReady = false;
  const readyWaiters: (() => void)[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
      if (!isReady && /\bready\b/.test(line)) {
        isReady = true;
        for (const w of readyWaiters.splice(0)) w();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<string>((r) => child.once('exit', (code, signal) => r(String(signal ?? code))));
  return {
    name,
    pid: child.pid!,
    tail: () => lines.slice(-15).join('\n'),
    ready: (timeoutMs = 60_000) =>
      new Promise<void>((resolveReady, reject) => {
        if (isReady) return resolveReady();
        const timer = setTimeout(
          () => reject(new Error(`${name} not ready after ${timeoutMs} ms:\n${lines.slice(-15).join('\n')}`)),
          timeoutMs,
        );
        readyWaiters.push(() => {
          clearTimeout(timer);
          resolveReady();
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code}) before it was ready:\n${lines.slice(-15).join('\n')}`));
        });
      }),
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident memory of a process in megabytes (VmRSS in /proc/<pid>/status), or NaN when unreadable. */
export async function residentMb(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return kb ? Number(kb[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
