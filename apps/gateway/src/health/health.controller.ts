import { Controller, Get } from '@nestjs/common';

/** Liveness for load balancers; says nothing about the exchange's contents. */
@Controller('health')
export class HealthController {
  @Get()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
