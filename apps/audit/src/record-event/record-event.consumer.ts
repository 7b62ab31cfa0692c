import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  AuditOperation,
  decodeAuditEvent,
  nameBasedId,
  newAuditEvent,
  sha256Hex,
  type AuditEvent,
} from '#contracts';
import type { AuditRepository } from '#audit-store';
import { auditConsumer, Headers, JetStreamWorker, type Bus } from '#messaging';
import { BUS, busLogger, type Readiness } from '#runtime';
import { AUDIT_REPOSITORY } from '../audit.tokens.js';
import { auditPublisherOf, checkAuditPublisher } from './record-event.handler.js';

/** Events per transaction: one commit covers the batch, one ack per event after it. */
const BATCH_SIZE = 500;

/**
 * Consumes audit events into PostgreSQL exactly once: a batch is inserted in one statement (duplicates by
 * event id are skipped), and its messages are acked only after the commit.
 */
@Injectable()
export class RecordEventConsumer implements OnApplicationBootstrap, OnApplicationShutdown, Readiness {
  private worker?: JetStreamWorker<AuditEvent>;
  private running = false;
  private readonly logger = busLogger('RecordEvent');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(AUDIT_REPOSITORY) private readonly repository: AuditRepository,
  ) {}

  ready(): boolean {
    return this.running;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.worker = new JetStreamWorker<AuditEvent>({
      bus: this.bus,
      consumer: auditConsumer(),
      service: 'audit',
      batchSize: BATCH_SIZE,
      logger: this.logger,
      decode: (msg) => {
        const event = decodeAuditEvent(msg.data);
        checkAuditPublisher(event, auditPublisherOf(msg.subject));
        return event;
      },
      handle: async (batch) => {
        const inserted = await this.repository.append(batch.map((b) => b.value));
        this.logger.log(`recorded ${inserted} audit row(s) (${batch.length - inserted} already present)`);
      },
      // A forged or undecodable event is itself recorded, under the publisher that sent it.
      onDeadLetter: async (msg, reason) => {
        await this.repository.append([
          newAuditEvent({
            eventId: nameBasedId('audit', msg.info.stream, String(msg.info.streamSequence), 'dead-lettered'),
            operation: AuditOperation.DEAD_LETTERED,
            actorNode: auditPublisherOf(msg.subject),
            actorPerson: 'msx-audit',
            messageSha256: sha256Hex(msg.data),
            rule: reason.code,
            correlationId: msg.headers?.get(Headers.correlationId) ?? '',
            detailJson: JSON.stringify({
              reason: reason.message,
              subject: msg.subject,
              sequence: msg.info.streamSequence,
            }),
          }),
        ]);
      },
    });
    await this.worker.start();
    this.running = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    await this.worker?.stop();
  }
}
