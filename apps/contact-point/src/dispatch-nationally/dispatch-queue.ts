import type { EntityManager } from 'typeorm';
import type { HoldingsStore } from '#node-app';

/** A dispatch to queue: an item, or the recall of an item that was sent. */
export interface NewDispatch {
  dispatchId: string;
  itemId: string;
  messageId: string;
  kind: 'item' | 'recall';
  authority: string;
  messageType: string;
  handlingCode: string;
  tlp: string;
  sha256: string;
  expiresAt?: Date;
  /** What the item was shared for, recorded with each disclosure of it. */
  purpose?: string;
  body: Uint8Array;
}

/** A queued dispatch that is due, as the dispatcher takes it. */
export interface DueDispatch extends Omit<NewDispatch, 'expiresAt' | 'purpose'> {
  expiresAt: Date | null;
  purpose: string;
  attempts: number;
  reported: boolean;
}

/** What became of one attempt. */
export type Attempt =
  | { outcome: 'sent' }
  | { outcome: 'failed'; error: string; nextInMs: number; report: boolean }
  | { outcome: 'withdrawn'; rule: string };

/** What the contact point passed on, or stopped passing on, of an item: entries of its erasure account. */
export const WITHDRAWN = 'national-dispatch-withdrawn';
export const RECALL_PASSED_ON = 'national-recall-passed-on';

interface DueRow {
  dispatch_id: string;
  item_id: string;
  message_id: string;
  kind: 'item' | 'recall';
  authority: string;
  message_type: string;
  handling_code: string;
  tlp: string;
  sha256: string;
  expires_at: Date | null;
  purpose: string;
  body: Buffer;
  attempts: number;
  reported_at: Date | null;
}

/**
 * A contact point's national dispatch queue, in its holdings schema. Each row is sent inside a transaction
 * that holds its lock, so a recall that arrives meanwhile waits for the attempt and then sees the truth: sent
 * (the recall is passed on) or still pending (it is withdrawn, never sent).
 */
export class DispatchQueue {
  constructor(private readonly holdings: HoldingsStore) {}

  private get t(): string {
    return this.holdings.table('national_dispatch');
  }

  /** Queues dispatches; one queued before (the same item received again) stays as it is. */
  async enqueue(rows: NewDispatch[]): Promise<void> {
    if (rows.length === 0) return;
    await this.holdings.transaction(async (m) => {
      for (const r of rows)
        await m.query(
          `INSERT INTO ${this.t} (dispatch_id, item_id, message_id, kind, authority, message_type, handling_code,
                                   tlp, sha256, expires_at, purpose, body)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (dispatch_id) DO NOTHING`,
          [
            r.dispatchId,
            r.itemId,
            r.messageId,
            r.kind,
            r.authority,
            r.messageType,
            r.handlingCode,
            r.tlp,
            r.sha256,
            r.expiresAt ?? null,
            r.purpose ?? '',
            Buffer.from(r.body),
          ],
        );
    });
  }

  /**
   * Stops the item's dispatches that were not sent (waiting for an attempt in progress to end) and states, for
   * each authority, whether the item was withdrawn before it reached it or had reached it (so the recall must
   * follow). The same answer when asked again.
   */
  async withdraw(itemId: string): Promise<string[]> {
    return this.holdings.transaction(async (m) => {
      await m.query(
        `UPDATE ${this.t} SET status = 'withdrawn', body = NULL, withdrawn_rule = 'RECALLED'
         WHERE item_id = $1 AND kind = 'item' AND status = 'pending'`,
        [itemId],
      );
      const rows = await m.query<Array<{ authority: string; status: string; withdrawn_rule: string | null }>>(
        `SELECT authority, status, withdrawn_rule FROM ${this.t}
         WHERE item_id = $1 AND kind = 'item' AND (status = 'sent' OR withdrawn_rule = 'RECALLED')
         ORDER BY created_at, authority, message_id`,
        [itemId],
      );
      return [
        ...new Set(rows.map((r) => `${r.status === 'sent' ? RECALL_PASSED_ON : WITHDRAWN}:${r.authority}`)),
      ];
    });
  }

  /**
   * Queues the recall of an item to every authority that was sent a copy of it (once per authority; asked
   * again, it queues nothing more).
   * @returns the authorities the recall goes to
   */
  async queueRecalls(
    itemId: string,
    recall: (authority: string) => { dispatchId: string; body: Uint8Array },
  ): Promise<string[]> {
    const sent = await this.holdings.query<
      Array<{
        authority: string;
        message_id: string;
        handling_code: string;
        tlp: string;
        sha256: string;
        purpose: string;
      }>
    >(
      `SELECT DISTINCT ON (authority) authority, message_id, handling_code, tlp, sha256, purpose FROM ${this.t}
       WHERE item_id = $1 AND kind = 'item' AND status = 'sent' ORDER BY authority, sent_at`,
      [itemId],
    );
    await this.enqueue(
      sent.map((r) => ({
        ...recall(r.authority),
        itemId,
        messageId: r.message_id,
        kind: 'recall',
        authority: r.authority,
        messageType: 'recall',
        handlingCode: r.handling_code,
        tlp: r.tlp,
        sha256: r.sha256,
        purpose: r.purpose,
      })),
    );
    return sent.map((r) => r.authority);
  }

  /**
   * Takes the oldest due dispatch not addressed to `skip`, lets `attempt` try it while its row is locked, and
   * stores the outcome in the same transaction.
   * @returns false when nothing was due
   */
  async attemptNext(
    skip: string[],
    attempt: (d: DueDispatch, m: EntityManager) => Promise<Attempt>,
  ): Promise<boolean> {
    return this.holdings.transaction(async (m) => {
      const [r] = await m.query<DueRow[]>(
        `SELECT dispatch_id, item_id, message_id, kind, authority, message_type, handling_code, tlp, sha256,
                expires_at, purpose, body, attempts, reported_at
         FROM ${this.t}
         WHERE status = 'pending' AND next_attempt_at <= now() AND NOT (authority = ANY($1::text[]))
         ORDER BY created_at, dispatch_id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [skip],
      );
      if (!r) return false;
      const due: DueDispatch = {
        dispatchId: r.dispatch_id,
        itemId: r.item_id,
        messageId: r.message_id,
        kind: r.kind,
        authority: r.authority,
        messageType: r.message_type,
        handlingCode: r.handling_code,
        tlp: r.tlp,
        sha256: r.sha256,
        expiresAt: r.expires_at,
        purpose: r.purpose,
        body: new Uint8Array(r.body),
        attempts: r.attempts,
        reported: r.reported_at !== null,
      };
      const result = await attempt(due, m);
      if (result.outcome === 'sent')
        await m.query(
          `UPDATE ${this.t} SET status = 'sent', body = NULL, sent_at = now(), attempts = attempts + 1,
                  last_error = NULL WHERE dispatch_id = $1`,
          [r.dispatch_id],
        );
      else if (result.outcome === 'withdrawn')
        await m.query(
          `UPDATE ${this.t} SET status = 'withdrawn', body = NULL, withdrawn_rule = $2 WHERE dispatch_id = $1`,
          [r.dispatch_id, result.rule],
        );
      else
        await m.query(
          `UPDATE ${this.t} SET attempts = attempts + 1, last_error = $2,
                  next_attempt_at = now() + make_interval(secs => $3::double precision / 1000),
                  reported_at = CASE WHEN $4 THEN coalesce(reported_at, now()) ELSE reported_at END
           WHERE dispatch_id = $1`,
          [r.dispatch_id, result.error, result.nextInMs, result.report],
        );
      return true;
    });
  }

  /** When the next pending dispatch is due, or undefined when none is pending. */
  async nextDue(): Promise<Date | undefined> {
    const [r] = await this.holdings.query<Array<{ at: Date | null }>>(
      `SELECT min(next_attempt_at) AS at FROM ${this.t} WHERE status = 'pending'`,
    );
    return r?.at ?? undefined;
  }
}
