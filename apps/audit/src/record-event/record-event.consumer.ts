import { Inject, Injectable, Optional } from '@nestjs/common';
import { AUDIT_NODE, decodeAuditEvent, decodeAuditEventBatch } from '#contracts';
import type { AuditRepository, PublishedAuditEvent } from '#audit-store';
import { auditConsumer, deadLetterAuditEvent, Headers, JetStreamWorker, ownerOf, type Bus } from '#messaging';
import { BUS, busLogger, WorkerService } from '#runtime';
import { AUDIT_REPOSITORY, AUDIT_RETRY_POLICY } from '../audit.tokens.js';
import { AuditCheckpointer } from '../sign-checkpoint/audit-checkpointer.js';
import { eventsToRecord } from './record-event.handler.js';

/** Audit messages per transaction: one commit covers the batch, one ack per message after it. */
const BATCH_SIZE = 500;
/**
 * Batches in hand at once: the next is decoded and hashed onto the chain while the one before is written
 * (the repository commits them in order, one transaction at a time).
 */
const BATCHES_IN_HAND = 2;

/**
 * How an audit message that could not be recorded is retried. An unavailable database
 * (`AUDIT.STORE_UNAVAILABLE`) is a hold: retried without limit, never dead-lettered, and not counted in
 * `maxDeliver`, however long the outage.
 */
export interface AuditRetryPolicy {
  /** First redelivery delay in milliseconds; doubles with each delivery up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** Failed deliveries (holds not counted) after which a message is given up on and dead-lettered. */
  maxDeliver: number;
}

/** The production policy: from 1 s to 30 s, and 20 failures of any other kind. */
export const DEFAULT_AUDIT_RETRY_POLICY: AuditRetryPolicy = {
  retryDelayMs: 1_000,
  maxRetryDelayMs: 30_000,
  maxDeliver: auditConsumer().maxDeliver,
};

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
    @Optional()
    @Inject(AUDIT_RETRY_POLICY)
    private readonly retry: AuditRetryPolicy = DEFAULT_AUDIT_RETRY_POLICY,
  ) {
    super();
  }

  protected createWorker(): JetStreamWorker<PublishedAuditEvent[]> {
    return new JetStreamWorker<PublishedAuditEvent[]>({
      bus: this.bus,
      consumer: { ...auditConsumer(), maxDeliver: this.retry.maxDeliver },
      service: 'audit',
      batchSize: BATCH_SIZE,
      concurrency: BATCHES_IN_HAND,
      retryDelayMs: this.retry.retryDelayMs,
      maxRetryDelayMs: this.retry.maxRetryDelayMs,
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
            publisher: AUDIT_NODE,
            event: deadLetterAuditEvent(msg, reason, ownerOf(msg.subject), AUDIT_NODE),
          },
        ]);
      },
    });
  }
}
