import { Inject, Injectable } from '@nestjs/common';
import { decodeAuditEvent, type AuditEvent } from '#contracts';
import type { AuditRepository } from '#audit-store';
import { auditConsumer, deadLetterAuditEvent, JetStreamWorker, type Bus } from '#messaging';
import { BUS, busLogger, WorkerService } from '#runtime';
import { AUDIT_REPOSITORY } from '../audit.tokens.js';
import { AuditCheckpointer } from '../sign-checkpoint/audit-checkpointer.js';
import { auditPublisherOf, checkAuditPublisher } from './record-event.handler.js';

/** Events per transaction: one commit covers the batch, one ack per event after it. */
const BATCH_SIZE = 500;

/**
 * Consumes audit events into PostgreSQL exactly once: a batch is inserted in one statement (duplicates by
 * event id are skipped), and its messages are acked only after the commit.
 */
@Injectable()
export class RecordEventConsumer extends WorkerService<AuditEvent> {
  private readonly logger = busLogger('RecordEvent');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(AUDIT_REPOSITORY) private readonly repository: AuditRepository,
    private readonly checkpointer: AuditCheckpointer,
  ) {
    super();
  }

  protected createWorker(): JetStreamWorker<AuditEvent> {
    return new JetStreamWorker<AuditEvent>({
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
        this.checkpointer.recorded(inserted);
        this.logger.log(`recorded ${inserted} audit row(s) (${batch.length - inserted} already present)`);
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
