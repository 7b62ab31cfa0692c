import { DeliverPolicy, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { MsxError } from '#contracts';
import { publishDurably, Streams, Subjects, type Bus } from '#messaging';
import type { ConsentRecord, IdClaimRecord, ShareRequestRecord } from '#policy';
import type { Ledger, LedgerItem, SelectorIndexRef } from './ledger.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** JetStream's answer when the expected last sequence of a subject is not the stream's. */
const WRONG_LAST_SEQUENCE = 10071;

/** Items kept in memory for fast routing of control messages; older ones are read from the stream again. */
const CACHE_LIMIT = 50_000;

/**
 * Most item ids one selector's entry keeps, newest last; older ones are dropped from that entry only. An
 * item is found through any one of its selectors and compared on all of them (its record keeps their
 * digests), so only an item whose every selector is this common can be missed. Bounds the entry's size
 * (well below JetStream's 1 MB message limit) and the lookups per submission.
 */
const MAX_ITEMS_PER_SELECTOR = 1_000;

/** Attempts at one selector entry's read-modify-write while other routes update the same entry. */
const SELECTOR_WRITE_ATTEMPTS = 10;

/** A selector's entry in the ledger (`msx.ledger.selector.<digest>`): the restricted items that carry it. */
interface SelectorEntry {
  items: SelectorIndexRef[];
}

/**
 * The ledger on a JetStream stream that keeps the latest message per subject (`msx.ledger.<kind>.<id>`):
 * durable, replicated like every stream, and readable by id without a database.
 */
export class JetStreamLedger implements Ledger {
  private readonly items = new Map<string, LedgerItem>();
  /** Per selector digest: the items waiting for the next write of its entry. */
  private readonly queuedSelectorWrites = new Map<
    string,
    { refs: Map<string, SelectorIndexRef>; done: Promise<void> }
  >();
  /** Per selector digest: the write of its entry under way, which the next one waits for. */
  private readonly selectorWriteInFlight = new Map<string, Promise<void>>();

  constructor(private readonly bus: Bus) {}

  private async get<T>(subject: string): Promise<T | undefined> {
    return (await this.getStored<T>(subject))?.value;
  }

  /** The latest value on a subject with its stream sequence, for a conditional write after it. */
  private async getStored<T>(subject: string): Promise<{ value: T; seq: number } | undefined> {
    try {
      // Direct get: answered by the stream itself, not queued behind the JetStream API.
      const m = await this.bus.jsm.direct.getMessage(Streams.ledger, { last_by_subj: subject });
      return m ? { value: JSON.parse(dec.decode(m.data)) as T, seq: m.seq } : undefined;
    } catch (err) {
      if ((err as { code?: number }).code === 404 || /no message found/i.test((err as Error).message))
        return undefined;
      throw new MsxError('ROUTER.LEDGER_UNAVAILABLE', `ledger read failed: ${(err as Error).message}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  private async put(subject: string, value: unknown, msgID: string): Promise<void> {
    await publishDurably(this.bus.js, subject, enc.encode(JSON.stringify(value)), { msgID });
  }

  private remember(item: LedgerItem): void {
    if (this.items.size >= CACHE_LIMIT) this.items.delete(this.items.keys().next().value!);
    this.items.set(item.messageId, item);
  }

  async claimId(claim: IdClaimRecord): Promise<IdClaimRecord> {
    const subject = Subjects.ledger('id', claim.messageId.toLowerCase());
    try {
      // Stored only while the subject is empty: the first claim wins, atomically, on every replica. The same
      // submission's retry is deduplicated by its msgID (checked before the expectation) and succeeds.
      await this.bus.js.publish(subject, enc.encode(JSON.stringify(claim)), {
        msgID: `ledger:id:${claim.messageId.toLowerCase()}:${claim.originator}:${claim.submitSeq}`,
        expect: { lastSubjectSequence: 0 },
      });
      return claim;
    } catch (err) {
      // Taken already, or unknown (a lost ack may hide our own write): the stored claim says whose it is.
      const held = await this.get<IdClaimRecord>(subject);
      if (held) return held;
      const taken = err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE;
      throw new MsxError(
        'ROUTER.LEDGER_UNAVAILABLE',
        taken
          ? `id ${claim.messageId} is claimed but the claim cannot be read yet`
          : `could not claim id ${claim.messageId}: ${(err as Error).message}`,
        { cause: err, retryable: true },
      );
    }
  }

  async item(messageId: string): Promise<LedgerItem | undefined> {
    const cached = this.items.get(messageId);
    if (cached) return cached;
    const item = await this.get<LedgerItem>(Subjects.ledger('item', messageId));
    if (item) this.remember(item);
    return item;
  }

  async itemByPayload(payloadSha256: string): Promise<LedgerItem | undefined> {
    const ref = await this.get<{ messageId: string }>(Subjects.ledger('payload', payloadSha256));
    return ref ? this.item(ref.messageId) : undefined;
  }

  async itemsBySelectors(selectors: readonly string[], exceptOriginator?: string): Promise<LedgerItem[]> {
    const entries = await Promise.all(
      selectors.map((s) => this.get<SelectorEntry>(Subjects.ledger('selector', s))),
    );
    const refs = entries.flatMap((e) => e?.items ?? []).filter((r) => r.originator !== exceptOriginator);
    const ids = [...new Set(refs.map((r) => r.messageId))];
    const items = await Promise.all(ids.map((id) => this.item(id)));
    return items.filter((i): i is LedgerItem => i !== undefined);
  }

  request(requestId: string): Promise<ShareRequestRecord | undefined> {
    return this.get(Subjects.ledger('request', requestId));
  }

  consent(decisionId: string): Promise<ConsentRecord | undefined> {
    return this.get(Subjects.ledger('consent', decisionId));
  }

  async putItem(item: LedgerItem): Promise<void> {
    // The id changes with the content, so a retried write is deduplicated and a real change is not.
    const version = `${item.recipients.length}:${Object.keys(item.copies).length}:${item.recalled ? 'r' : ''}`;
    await this.put(Subjects.ledger('item', item.messageId), item, `ledger:item:${item.messageId}:${version}`);
    this.remember(item);
  }

  preview(item: LedgerItem): void {
    this.remember(item);
  }

  putPayloadIndex(payloadSha256: string, messageId: string): Promise<void> {
    return this.put(
      Subjects.ledger('payload', payloadSha256),
      { messageId },
      `ledger:payload:${payloadSha256}`,
    );
  }

  async putSelectorIndex(selectors: readonly string[], item: SelectorIndexRef): Promise<void> {
    const ref = { messageId: item.messageId, originator: item.originator };
    await Promise.all(selectors.map((s) => this.addToSelector(s, ref)));
  }

  /**
   * Adds an item to one selector's entry. Within this router, additions to one entry are batched and written
   * one batch at a time, so that many routes carrying the same selector cost one write each round rather
   * than a race; between routers, the conditional write below keeps them from overwriting each other.
   */
  private addToSelector(selector: string, ref: SelectorIndexRef): Promise<void> {
    const queued = this.queuedSelectorWrites.get(selector);
    if (queued) {
      queued.refs.set(ref.messageId, ref);
      return queued.done;
    }
    const refs = new Map([[ref.messageId, ref]]);
    const previous = this.selectorWriteInFlight.get(selector) ?? Promise.resolve();
    const done = previous
      .catch(() => undefined)
      .then(() => {
        this.queuedSelectorWrites.delete(selector);
        return this.writeSelector(selector, [...refs.values()]);
      });
    this.queuedSelectorWrites.set(selector, { refs, done });
    const inFlight: Promise<void> = done
      .catch(() => undefined)
      .finally(() => {
        if (this.selectorWriteInFlight.get(selector) === inFlight)
          this.selectorWriteInFlight.delete(selector);
      });
    this.selectorWriteInFlight.set(selector, inFlight);
    return done;
  }

  /**
   * Read-modify-write of a selector's entry, conditional on its last sequence; a retry after a lost
   * acknowledgement finds the items already there and writes nothing.
   */
  private async writeSelector(selector: string, refs: readonly SelectorIndexRef[]): Promise<void> {
    const subject = Subjects.ledger('selector', selector);
    let lastErr: unknown;
    for (let attempt = 1; attempt <= SELECTOR_WRITE_ATTEMPTS; attempt++) {
      const stored = await this.getStored<SelectorEntry>(subject);
      const items = stored?.value.items ?? [];
      const known = new Set(items.map((r) => r.messageId));
      const missing = refs.filter((r) => !known.has(r.messageId));
      if (missing.length === 0) return;
      const entry: SelectorEntry = { items: [...items, ...missing].slice(-MAX_ITEMS_PER_SELECTOR) };
      try {
        await this.bus.js.publish(subject, enc.encode(JSON.stringify(entry)), {
          expect: { lastSubjectSequence: stored?.seq ?? 0 },
        });
        return;
      } catch (err) {
        lastErr = err;
        // Another router wrote first, or the outcome is unknown: read again after a short, spread-out pause.
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
    throw new MsxError(
      'ROUTER.LEDGER_UNAVAILABLE',
      `could not index ${refs.length} item(s) by a selector: ${(lastErr as Error)?.message}`,
      { cause: lastErr, retryable: true },
    );
  }

  putRequest(request: ShareRequestRecord): Promise<void> {
    return this.put(
      Subjects.ledger('request', request.requestId),
      request,
      `ledger:request:${request.requestId}`,
    );
  }

  putConsent(consent: ConsentRecord): Promise<void> {
    return this.put(
      Subjects.ledger('consent', consent.decisionId),
      consent,
      `ledger:consent:${consent.decisionId}`,
    );
  }

  async expiringItems(): Promise<LedgerItem[]> {
    return readAll<LedgerItem>(this.bus, this.bus.jsm, Subjects.ledger('item', '*')).then((items) =>
      items.filter((i) => i.expiresAtMs !== undefined && !i.recalled),
    );
  }
}

/** Reads the latest value of every subject matching `filter` with an ordered consumer. */
async function readAll<T>(bus: Bus, jsm: JetStreamManager, filter: string): Promise<T[]> {
  const info = await jsm.streams.info(Streams.ledger);
  if (info.state.messages === 0) return [];
  const consumer = await bus.js.consumers.get(Streams.ledger, {
    // One filter as a string: nats-server 2.9 knows filter_subject only.
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.LastPerSubject,
  });
  const out: T[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1_000, expires: 1_000 });
    let n = 0;
    for await (const m of batch) {
      n++;
      out.push(JSON.parse(dec.decode(m.data)) as T);
      if (m.info.pending === 0) return out;
    }
    if (n === 0) return out;
  }
}
