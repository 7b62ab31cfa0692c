import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { JetStreamWorker } from '#messaging';
import type { Readiness } from './health.js';
import { stopping } from './shutdown.js';

/**
 * The lifecycle every consuming service shares: its worker starts when the application has bootstrapped,
 * reports ready while it runs, and finishes the messages it holds before the application shuts down.
 */
export abstract class WorkerService<T> implements OnApplicationBootstrap, OnApplicationShutdown, Readiness {
  private worker?: JetStreamWorker<T>;
  private running = false;

  /** Builds the worker; called once, at bootstrap. */
  protected abstract createWorker(): JetStreamWorker<T>;

  ready(): boolean {
    return this.running;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.worker = this.createWorker();
    await this.worker.start();
    this.running = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    await stopping(`${this.constructor.name}: messages taken`, () => this.worker?.stop());
  }
}
