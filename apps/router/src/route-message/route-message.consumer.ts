import { Inject, Injectable } from '@nestjs/common';
import { decodeEnvelope, ROUTER_NODE } from '#contracts';
import {
  deadLetterAuditEvent,
  Headers,
  JetStreamWorker,
  ownerOf,
  publishAuditEvent,
  routerConsumer,
  type Bus,
} from '#messaging';
import { AuditGate, BUS, busLogger, WorkerService } from '#runtime';
import type { Submission } from './route-message.handler.js';
import { RouteMessageService } from './route-message.service.js';

/** How many submissions the router works on at once; each is routed on its own, so none waits for another. */
const CONCURRENCY = 128;

/**
 * JetStream adapter of the router: decode → hold while the audit trail cannot record → route each submission
 * ({@link RouteMessageService}) → ack once it is routed. A retryable failure is nak'ed with a delay; what
 * cannot be decoded or routed at all is audited and dead-lettered.
 */
@Injectable()
export class RouteMessageConsumer extends WorkerService<Submission> {
  private readonly logger = busLogger('RouteMessage');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    private readonly routing: RouteMessageService,
    private readonly auditGate: AuditGate,
  ) {
    super();
  }

  protected createWorker(): JetStreamWorker<Submission> {
    return new JetStreamWorker<Submission>({
      bus: this.bus,
      consumer: routerConsumer(),
      service: 'router',
      concurrency: CONCURRENCY,
      logger: this.logger,
      decode: (msg) => ({
        envelope: decodeEnvelope(msg.data),
        bytes: msg.data,
        publisher: ownerOf(msg.subject),
        submitSeq: msg.info.streamSequence,
        submittedAtMs: msg.time.getTime(),
        correlationId: msg.headers?.get(Headers.correlationId) ?? '',
      }),
      handle: async (batch) => {
        // Held, not failed, while the audit trail cannot record: the submissions wait in the stream.
        this.auditGate.check();
        await Promise.all(batch.map(({ value }) => this.routing.route(value)));
      },
      onDeadLetter: (msg, reason) =>
        publishAuditEvent(
          this.bus.js,
          ROUTER_NODE,
          deadLetterAuditEvent(msg, reason, ownerOf(msg.subject), ROUTER_NODE),
        ),
    });
  }
}
