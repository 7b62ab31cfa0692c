import type { LoggerService } from '@nestjs/common';

/** The parts of this process still stopping, by name, with when each began. */
const underWay = new Map<string, number>();

/**
 * Marks the start of one part of a service's shutdown, for a part whose end is an event rather than a
 * promise (a server's close hook); call what it returns when that part has stopped.
 */
export function beginStopping(name: string): () => void {
  let key = name;
  for (let n = 1; underWay.has(key); n++) key = `${name} (${n})`;
  underWay.set(key, Date.now());
  return () => underWay.delete(key);
}

/**
 * Runs one part of a service's shutdown (a worker finishing what it holds, a connection draining) under its
 * name, so that a shutdown which takes long can say what it still waits for ({@link watchShutdown}).
 */
export async function stopping<T>(name: string, step: () => Promise<T> | T): Promise<T> {
  const done = beginStopping(name);
  try {
    return await step();
  } finally {
    done();
  }
}

/** What is still stopping, oldest first, with how long each has taken so far. */
export function stillStopping(nowMs = Date.now()): string[] {
  return [...underWay].map(([name, since]) => `${name} (${nowMs - since} ms)`);
}

/**
 * Logs the signal a service stops on and then, every `everyMs` while it has not exited, what it still waits
 * for: an operator (or a supervisor about to kill it) sees which part holds the shutdown up. Listens once, so
 * the signal Nest raises again after its shutdown hooks ends the process as usual.
 */
export function watchShutdown(logger: LoggerService, everyMs = 2_000): void {
  const signals = ['SIGTERM', 'SIGINT'] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    for (const s of signals) process.removeListener(s, onSignal);
    logger.log(`stopping on ${signal}`, 'Shutdown');
    const started = Date.now();
    const timer = setInterval(() => {
      const parts = stillStopping();
      logger.warn(
        `still stopping after ${Date.now() - started} ms: ${parts.length > 0 ? parts.join(', ') : 'no named part (the transport or the HTTP server)'}`,
        'Shutdown',
      );
    }, everyMs);
    timer.unref();
  };
  for (const s of signals) process.once(s, onSignal);
}
