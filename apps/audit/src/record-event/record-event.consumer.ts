import { Inject, Injectable } from '@nestjs/common';
import { decodeAuditEvent, decodeAuditEventBatch } from '#contracts';
import { AUDIT_SERVICE_PUBLISHER, type AuditRepository, type PublishedAuditEvent } from '#audit-store';
import { auditConsumer, deadLetterAuditEvent, Headers, JetStreamWorker, type Bus } from '#messaging';
import { BUS, busLogger, WorkerService } from '#runtime';
import { AUDIT_REPOSITORY } from '../audit.tokens.js';
import { AuditCheckpointer } from '../sign-checkpoint/audit-checkpointer.js';
import { auditPublisherOf, eventsToRecord } from './record-event.handler.js';

/** Audit messages per transaction: one commit covers the batch, one ack per message after it. */
const BATCH_SIZE = 500;

/**
 * Consumes audit events into PostgreSQL exactly once: each event under the publisher of its subject, a batch
 * inserted in one statement (duplicates by (publisher, event id) are skipped), and its messages acked only
 * after the commit.
 */
@Injectable()
export class RecordEventConsumer extends WorkerService<PublishedAuditEvent[]> {
  private readonly logger = busLogger('RecordEvent');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(AUDIT_REPOSITORY) private readonly repository: AuditRepository,
    private readonly checkpointer: AuditCheckpointer,
  ) {
    super();
  }

  protected createWorker(): JetStreamWorker<PublishedAuditEvent[]> {
    return new JetStreamWorker<PublishedAuditEvent[]>({
      bus: this.bus,
      consumer: auditConsumer(),
      service: 'audit',
      batchSize: BATCH_SIZE,
      logger: this.logger,
      // One message carries one event, or the events of one operation (the router's decisions).
      decode: (msg) =>
        eventsToRecord(
          msg.subject,
          msg.headers?.has(Headers.auditBatch)
            ? decodeAuditEventBatch(msg.data)
            : [decodeAuditEvent(msg.data)],
        ),
      handle: async (batch) => {
        const events = batch.flatMap((b) => b.value);
        const inserted = await this.repository.append(events);
        this.checkpointer.recorded(inserted);
        this.logger.log(`recorded ${inserted} audit row(s) (${events.length - inserted} already present)`);
      },
      // A forged or undecodable event is itself recorded by the audit service, with the publisher that sent
      // it as the actor.
      onDeadLetter: async (msg, reason) => {
        await this.repository.append([
          {
            publisher: AUDIT_SERVICE_PUBLISHER,
            event: deadLetterAuditEvent(msg, reason, auditPublisherOf(msg.subject), AUDIT_SERVICE_PUBLISHER),
          },
        ]);
      },
    });
  }
}
