import { Inject, Injectable } from '@nestjs/common';
import { decodeAuditEvent, decodeAuditEventBatch, type AuditEvent } from '#contracts';
import type { AuditRepository } from '#audit-store';
import { auditConsumer, deadLetterAuditEvent, Headers, JetStreamWorker, type Bus } from '#messaging';
import { BUS, busLogger, WorkerService } from '#runtime';
import { AUDIT_REPOSITORY } from '../audit.tokens.js';
import { AuditCheckpointer } from '../sign-checkpoint/audit-checkpointer.js';
import { auditPublisherOf, checkAuditPublisher } from './record-event.handler.js';

/** Audit messages per transaction: one commit covers the batch, one ack per message after it. */
const BATCH_SIZE = 500;

/**
 * Consumes audit events into PostgreSQL exactly once: a batch is inserted in one statement (duplicates by
 * event id are skipped), and its messages are acked only after the commit.
 */
@Injectable()
export class RecordEventConsumer extends WorkerService<AuditEvent[]> {
  private readonly logger = busLogger('RecordEvent');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(AUDIT_REPOSITORY) private readonly repository: AuditRepository,
    private readonly checkpointer: AuditCheckpointer,
  ) {
    super();
  }

  protected createWorker(): JetStreamWorker<AuditEvent[]> {
    return new JetStreamWorker<AuditEvent[]>({
      bus: this.bus,
      consumer: auditConsumer(),
      service: 'audit',
      batchSize: BATCH_SIZE,
      logger: this.logger,
      // One message carries one event, or the events of one operation (the router's decisions).
      decode: (msg) => {
        const events = msg.headers?.has(Headers.auditBatch)
          ? decodeAuditEventBatch(msg.data)
          : [decodeAuditEvent(msg.data)];
        for (const event of events) checkAuditPublisher(event, auditPublisherOf(msg.subject));
        return events;
      },
      handle: async (batch) => {
        const events = batch.flatMap((b) => b.value);
        const inserted = await this.repository.append(events);
        this.checkpointer.recorded(inserted);
        this.logger.log(`recorded ${inserted} audit row(s) (${events.length - inserted} already present)`);
      },
      // A forged or undecodable event is itself recorded, under the publisher that sent it.
      onDeadLetter: async (msg, reason) => {
        await this.repository.append([
          deadLetterAuditEvent(msg, reason, auditPublisherOf(msg.subject), 'msx-audit'),
        ]);
      },
    });
  }
}
