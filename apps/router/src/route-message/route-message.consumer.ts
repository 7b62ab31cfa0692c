import { Inject, Injectable } from '@nestjs/common';
import { decodeEnvelope, encodeEnvelope } from '#contracts';
import type { Directory } from '#directory';
import {
  deadLetterAuditEvent,
  Headers,
  JetStreamWorker,
  publishAuditEvent,
  publishDurably,
  routerConsumer,
  Subjects,
  type Bus,
} from '#messaging';
import { BUS, busLogger, WorkerService } from '#runtime';
import { DIRECTORY } from '../router.tokens.js';
import { planRouting, publisherOf, ROUTER_NODE, type Submission } from './route-message.handler.js';

/** How many submissions the router works on at once. */
const BATCH_SIZE = 64;

/**
 * JetStream adapter of the router: decode and check → plan → publish audit events, deliveries and the
 * receipt → ack. Every publish carries a deterministic id, so a redelivered submission is routed once.
 */
@Injectable()
export class RouteMessageConsumer extends WorkerService<Submission> {
  private readonly logger = busLogger('RouteMessage');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(DIRECTORY) private readonly directory: Directory,
  ) {
    super();
  }

  protected createWorker(): JetStreamWorker<Submission> {
    return new JetStreamWorker<Submission>({
      bus: this.bus,
      consumer: routerConsumer(),
      service: 'router',
      batchSize: BATCH_SIZE,
      logger: this.logger,
      decode: (msg) => ({
        envelope: decodeEnvelope(msg.data),
        bytes: msg.data,
        publisher: publisherOf(msg.subject),
        correlationId: msg.headers?.get(Headers.correlationId) ?? '',
      }),
      handle: (batch) => Promise.all(batch.map(({ value }) => this.route(value))).then(() => undefined),
      onDeadLetter: (msg, reason) =>
        publishAuditEvent(
          this.bus.js,
          ROUTER_NODE,
          deadLetterAuditEvent(msg, reason, publisherOf(msg.subject), ROUTER_NODE),
        ),
    });
  }

  private async route(submission: Submission): Promise<void> {
    const plan = planRouting(submission, this.directory);
    const headers = submission.correlationId
      ? { [Headers.correlationId]: submission.correlationId }
      : undefined;
    // Audit first: nothing reaches a recipient that the trail has not been told about.
    await Promise.all(plan.auditEvents.map((e) => publishAuditEvent(this.bus.js, ROUTER_NODE, e)));
    await Promise.all([
      ...plan.deliveries.map((d) =>
        publishDurably(this.bus.js, Subjects.deliver(d.node), submission.bytes, { msgID: d.msgID, headers }),
      ),
      publishDurably(
        this.bus.js,
        Subjects.deliver(submission.envelope.sender),
        encodeEnvelope(plan.receipt.envelope),
        {
          msgID: plan.receipt.msgID,
          headers,
        },
      ),
    ]);
    const delivered = plan.deliveries.map((d) => d.node).join(', ') || 'no one';
    const withheld = plan.decisions
      .filter((d) => d.outcome === 'withheld')
      .map((d) => `${d.recipient} (${d.rule})`);
    this.logger.log(
      `routed ${submission.envelope.payload.case} ${submission.envelope.id} from ${submission.envelope.sender} to ${delivered}` +
        (withheld.length ? `; withheld from ${withheld.join(', ')}` : '') +
        ` [${submission.correlationId}]`,
    );
  }
}
