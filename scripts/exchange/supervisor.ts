import { READY_LINE, startService, type ChildHandle, type ServiceSpec } from '#process-kit';

/** A service that crashes is restarted after this many milliseconds, doubling up to MAX_RESTART_DELAY_MS. */
const RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A service that ran this long before crashing is restarted quickly again, in milliseconds. */
const STABLE_AFTER_MS = 60_000;

/** The state of one supervised service. */
export interface ServiceState {
  spec: ServiceSpec;
  child?: ChildHandle;
  /** True once the current process printed its ready line. */
  ready: boolean;
  restarts: number;
}

export interface SupervisorOptions {
  /** Where prefixed service output and supervisor reports go. */
  write: (line: string) => void;
  /** Environment shared by every service, before each spec's own. */
  env: Record<string, string>;
  /** Per-service environment computed by the caller (for example a witness folder). */
  envOf?: (spec: ServiceSpec) => Record<string, string>;
}

/**
 * Runs each service as a process of its own from the build (`dist/apps/<app>/src/main.js`), prefixes its
 * output with its name, restarts it with backoff when it exits unasked and says so, and stops all of
 * them on request. Services run in their own process group, so that only the supervisor decides when
 * they stop (a Ctrl-C in the terminal reaches the supervisor alone).
 */
export class Supervisor {
  private readonly services = new Map<string, ServiceState>();
  private stopping = false;
  private readonly width: number;

  constructor(
    private readonly specs: readonly ServiceSpec[],
    private readonly opts: SupervisorOptions,
  ) {
    this.width = Math.max(...specs.map((s) => s.name.length));
  }

  startAll(): void {
    for (const spec of this.specs) {
      const state: ServiceState = { spec, ready: false, restarts: 0 };
      this.services.set(spec.name, state);
      this.run(state, RESTART_DELAY_MS);
    }
  }

  /** Resolves with the names of the services not ready after `timeoutMs` (none when all are up). */
  async waitUntilReady(timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const waiting = [...this.services.values()].filter((s) => !s.ready).map((s) => s.spec.name);
      if (waiting.length === 0 || Date.now() > deadline || this.stopping) return waiting;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Process ids of the running services, by name. */
  pids(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, s] of this.services) if (s.child?.pid && s.child.running()) out.set(name, s.child.pid);
    return out;
  }

  /** How many times each service was restarted after a crash. */
  restarts(): Map<string, number> {
    return new Map([...this.services].map(([name, s]) => [name, s.restarts]));
  }

  /** SIGTERM to every service, SIGKILL to those still running after `graceMs`; resolves when all exited. */
  async stopAll(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.services.values()].map(async (s) => {
        await s.child?.stop(graceMs, () =>
          this.report(s.spec.name, `did not stop within ${graceMs / 1000} s; killing it`),
        );
      }),
    );
  }

  /** Synchronous last resort for `process.on('exit')`: signal every service still running. */
  killAllNow(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.stopping = true;
    for (const s of this.services.values()) s.child?.stopNow(signal);
  }

  private prefix(name: string): string {
    return `${name.padEnd(this.width)} |`;
  }

  private report(name: string, text: string): void {
    this.opts.write(`${this.prefix(name)} ** ${text}`);
  }

  private run(state: ServiceState, delayMs: number): void {
    const { spec } = state;
    const child = startService(
      spec.app,
      { ...this.opts.env, ...spec.env, ...this.opts.envOf?.(spec) },
      {
        name: spec.name,
        ownProcessGroup: true,
        // Only the last lines are kept: the output goes to the terminal as it comes.
        keepLines: 20,
        onLine: (line) => {
          if (!state.ready && READY_LINE.test(line)) state.ready = true;
          this.opts.write(`${this.prefix(spec.name)} ${line}`);
        },
        onError: (err) => this.report(spec.name, `cannot start: ${err.message}`),
      },
    );
    state.child = child;
    state.ready = false;
    const startedAt = Date.now();
    void child.exited.then((how) => {
      // Stopped on purpose, or never started (reported above): not a crash.
      if (this.stopping || child.pid === undefined) return;
      // A service that ran a while before crashing starts again quickly; one that keeps crashing backs off.
      const ranMs = Date.now() - startedAt;
      const next = ranMs > STABLE_AFTER_MS ? RESTART_DELAY_MS : delayMs;
      state.restarts++;
      this.report(
        spec.name,
        `crashed (${/^\d+$/.test(how) ? `exit code ${how}` : how}) after ${(ranMs / 1000).toFixed(1)} s; ` +
          `restart #${state.restarts} in ${next / 1000} s`,
      );
      setTimeout(() => {
        if (!this.stopping) this.run(state, Math.min(next * 2, MAX_RESTART_DELAY_MS));
      }, next);
    });
  }
}
