import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  AuditOperation,
  decodeEnvelope,
  encodeEnvelope,
  nameBasedId,
  newAuditEvent,
  sha256Hex,
} from '#contracts';
import type { Directory } from '#directory';
import {
  Headers,
  JetStreamWorker,
  publishAuditEvent,
  publishDurably,
  routerConsumer,
  Subjects,
  type Bus,
} from '#messaging';
import { BUS, busLogger, type Readiness } from '#runtime';
import { DIRECTORY } from '../router.tokens.js';
import { planRouting, publisherOf, ROUTER_NODE, type Submission } from './route-message.handler.js';

/** How many submissions the router works on at once. */
const BATCH_SIZE = 64;

/**
 * JetStream adapter of the router: decode and check → plan → publish audit events, deliveries and the
 * receipt → ack. Every publish carries a deterministic id, so a redelivered submission is routed once.
 */
@Injectable()
export class RouteMessageConsumer implements OnApplicationBootstrap, OnApplicationShutdown, Readiness {
  private worker?: JetStreamWorker<Submission>;
  private running = false;
  private readonly logger = busLogger('RouteMessage');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(DIRECTORY) private readonly directory: Directory,
  ) {}

  ready(): boolean {
    return this.running;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.worker = new JetStreamWorker<Submission>({
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
      onDeadLetter: async (msg, reason) => {
        await publishAuditEvent(
          this.bus.js,
          ROUTER_NODE,
          newAuditEvent({
            eventId: nameBasedId('router', msg.info.stream, String(msg.info.streamSequence), 'dead-lettered'),
            operation: AuditOperation.DEAD_LETTERED,
            actorNode: publisherOf(msg.subject),
            actorPerson: ROUTER_NODE,
            messageSha256: sha256Hex(msg.data),
            rule: reason.code,
            correlationId: msg.headers?.get(Headers.correlationId) ?? '',
            detailJson: JSON.stringify({
              reason: reason.message,
              subject: msg.subject,
              sequence: msg.info.streamSequence,
            }),
          }),
        );
      },
    });
    await this.worker.start();
    this.running = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    await this.worker?.stop();
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
