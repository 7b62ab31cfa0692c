import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { ChainStatus } from '#contracts';
import { Subjects } from '#messaging';
import { answerRpc } from '#runtime';
import { ChainVerifier } from './chain-verifier.js';

/** NATS request/reply adapter: the chain's verification status, after a check that started on request. */
@Controller()
export class QueryChainController {
  constructor(private readonly verifier: ChainVerifier) {}

  @MessagePattern<string>(Subjects.auditQuery.chain)
  chain(): Promise<ChainStatus> {
    return answerRpc('chain query', () => this.verifier.status());
  }
}
