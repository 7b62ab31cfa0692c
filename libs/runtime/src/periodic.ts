import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { stopping } from './shutdown.js';

/**
 * Runs `work` at once and then `everyMs` after each run has ended, until {@link stop}: a run that fails is
 * handed to `onError` and the next one still comes. For a service's background duty (a sweep, a report).
 */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly everyMs: number,
    private readonly work: () => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Whether {@link stop} was called: long work checks it between steps. */
  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    const tick = () => {
      this.running = this.work()
        .catch((err: unknown) => this.onError(err instanceof Error ? err : new Error(String(err))))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.everyMs);
        });
    };
    tick();
  }

  /** Stops the schedule and waits for a run in progress to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * The last complete period of `everyMs` before `nowMs`, aligned to the epoch (so every process, and a process
 * after a restart, agrees on it; whole weeks begin on a Thursday).
 */
export function lastCompletePeriod(nowMs: number, everyMs: number): { startMs: number; endMs: number } {
  const endMs = Math.floor(nowMs / everyMs) * everyMs;
  return { startMs: endMs - everyMs, endMs };
}

/**
 * A service whose duty runs on a schedule (a sweep, a periodic product): {@link Periodic} started when the
 * application has booted and stopped, waiting for a run under way, before it shuts down.
 */
export abstract class PeriodicDuty implements OnApplicationBootstrap, BeforeApplicationShutdown {
  protected readonly periodic: Periodic;

  protected constructor(everyMs: number) {
    this.periodic = new Periodic(
      everyMs,
      () => this.runDue(),
      (err) => this.dutyFailed(err),
    );
  }

  /** One run of the duty. */
  protected abstract runDue(): Promise<void>;

  /** A run failed; the next one still comes. */
  protected abstract dutyFailed(err: Error): void;

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return stopping(`${this.constructor.name}: run under way`, () => this.periodic.stop());
  }
}
