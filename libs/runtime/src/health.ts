import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Subjects } from '#messaging';

/** Injection token of the readiness probe of a service. */
export const READINESS = Symbol('MSX_READINESS');

/** Reports whether the service's workers are attached and running. */
export interface Readiness {
  ready(): boolean;
}

/** Health over NATS request/reply on `msx.health.<name>`, answering `{ name, ready }`. */
export function createHealthController(name: string) {
  @Controller()
  class HealthController {
    constructor(@Inject(READINESS) private readonly readiness: Readiness) {}

    @MessagePattern<string>(Subjects.health(name))
    health(): { name: string; ready: boolean } {
      return { name, ready: this.readiness.ready() };
    }
  }
  return HealthController;
}
