import type { EntityManager } from 'typeorm';
import { encodeEnvelope, type Envelope } from '#contracts';
import type { HoldingsStore } from '../holdings/holdings-store.js';

/** One envelope in the outbox, as its writer and the post's officers see it. */
export interface OutboxEntry {
  /** Its place in the outbox: envelopes leave in this order. */
  seq: number;
  messageId: string;
  messageType: string;
  author: string;
  queuedAt: Date;
  /** Tries so far that the exchange did not confirm. */
  attempts: number;
  lastError?: string;
  /** When the exchange confirmed it (stored in the submit stream), with its position there. */
  sentAt?: Date;
  submitSeq?: number;
}

/** The next envelope to send: the oldest not yet confirmed. */
export interface OutboxHead {
  seq: number;
  messageId: string;
  bytes: Uint8Array;
}

interface OutboxRow {
  seq: string;
  message_id: string;
  message_type: string;
  author: string;
  queued_at: Date;
  attempts: number;
  last_error: string | null;
  sent_at: Date | null;
  submit_seq: string | null;
}

/**
 * A node's outbox in PostgreSQL (its node schema): envelopes wait there, across restarts of the process and
 * losses of the link, until the exchange confirms each, and leave in the order written (see OutboxSender).
 * An envelope is there once, by its id: writing it again changes nothing.
 */
export class OutboxStore {
  constructor(private readonly holdings: HoldingsStore) {}

  private get table(): string {
    return this.holdings.table('outbox');
  }

  /**
   * Puts an envelope at the end of the outbox, unless one with its id is there already.
   * @returns its place, and whether it was put there now
   */
  async enqueue(envelope: Envelope): Promise<{ seq: number; queued: boolean }> {
    return this.holdings.transaction((m) => this.enqueueIn(m, envelope));
  }

  /** {@link enqueue} within the caller's transaction: the envelope is in the outbox if and only if it commits. */
  async enqueueIn(m: EntityManager, envelope: Envelope): Promise<{ seq: number; queued: boolean }> {
    const [put] = await m.query<Array<{ seq: string }>>(
      `INSERT INTO ${this.table} (message_id, message_type, author, envelope) VALUES ($1, $2, $3, $4)
       ON CONFLICT (message_id) DO NOTHING RETURNING seq`,
      [envelope.id, envelope.payload.case ?? '', envelope.author, Buffer.from(encodeEnvelope(envelope))],
    );
    if (put) return { seq: Number(put.seq), queued: true };
    const [there] = await m.query<Array<{ seq: string }>>(
      `SELECT seq FROM ${this.table} WHERE message_id = $1`,
      [envelope.id],
    );
    return { seq: Number(there.seq), queued: false };
  }

  /** The oldest envelope the exchange has not confirmed, if any. */
  async head(): Promise<OutboxHead | undefined> {
    const [r] = await this.holdings.query<Array<{ seq: string; message_id: string; envelope: Buffer }>>(
      `SELECT seq, message_id, envelope FROM ${this.table} WHERE sent_at IS NULL ORDER BY seq LIMIT 1`,
    );
    return r ? { seq: Number(r.seq), messageId: r.message_id, bytes: new Uint8Array(r.envelope) } : undefined;
  }

  /**
   * Records the exchange's confirmation: stored at `submitSeq` of the submit stream. The envelope's bytes go:
   * the post keeps no second copy of what it sent, only the record that it did.
   */
  async sent(seq: number, submitSeq: number): Promise<void> {
    await this.holdings.query(
      `UPDATE ${this.table} SET sent_at = now(), submit_seq = $2, attempts = attempts + 1, envelope = ''::bytea
        WHERE seq = $1`,
      [seq, submitSeq],
    );
  }

  /** Records a try the exchange did not confirm; the envelope stays at the head. */
  async failed(seq: number, error: string): Promise<void> {
    await this.holdings.query(
      `UPDATE ${this.table} SET attempts = attempts + 1, last_error = $2 WHERE seq = $1`,
      [seq, error.slice(0, 500)],
    );
  }

  /** How many envelopes wait. */
  async waiting(): Promise<number> {
    const [r] = await this.holdings.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM ${this.table} WHERE sent_at IS NULL`,
    );
    return r.n;
  }

  /** The last `limit` envelopes written, oldest first. */
  async entries(limit = 50): Promise<OutboxEntry[]> {
    const rows = await this.holdings.query<OutboxRow[]>(
      `SELECT * FROM (SELECT seq, message_id, message_type, author, queued_at, attempts, last_error, sent_at,
                             submit_seq
                        FROM ${this.table} ORDER BY seq DESC LIMIT $1) t ORDER BY seq`,
      [limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      messageId: r.message_id,
      messageType: r.message_type,
      author: r.author,
      queuedAt: r.queued_at,
      attempts: r.attempts,
      ...(r.last_error ? { lastError: r.last_error } : {}),
      ...(r.sent_at ? { sentAt: r.sent_at, submitSeq: Number(r.submit_seq) } : {}),
    }));
  }
}
