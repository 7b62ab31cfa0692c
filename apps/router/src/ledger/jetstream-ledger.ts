import { DeliverPolicy, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { MsxError } from '#contracts';
import { publishDurably, Streams, Subjects, type Bus, type BusLogger } from '#messaging';
import type { ConsentRecord, IdClaimRecord, ShareRequestRecord } from '#policy';
import type { Ledger, LedgerItem, SelectorIndexRef } from './ledger.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** JetStream's answer when the expected last sequence of a subject is not the stream's. */
const WRONG_LAST_SEQUENCE = 10071;

/** Items kept in memory for fast routing of control messages; older ones are read from the stream again. */
const CACHE_LIMIT = 50_000;

/**
 * One line of the selector index in the ledger (`msx.ledger.selector.<digest>.<item id>`): written once,
 * never rewritten, so that routers carrying the same selector at the same moment never contend.
 */
interface SelectorRecord {
  selector: string;
  messageId: string;
  originator: string;
}

/**
 * The ledger on a JetStream stream that keeps the latest message per subject (`msx.ledger.<kind>.<id>`):
 * durable, replicated like every stream, and readable by id without a database.
 */
export class JetStreamLedger implements Ledger {
  private readonly items = new Map<string, LedgerItem>();
  /**
   * The selector index in memory: per digest, the restricted items carrying it (id → originator). Loaded
   * from the ledger on first use and then followed, so that other routers' entries arrive too.
   */
  private readonly selectors = new Map<string, Map<string, string>>();
  private loadingSelectors?: Promise<void>;

  constructor(
    private readonly bus: Bus,
    private readonly logger?: BusLogger,
  ) {}

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
      // A subject never written is answered with null, not an error: any error is the ledger being away.
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
    await this.selectorsLoaded();
    const ids = new Set<string>();
    for (const s of selectors)
      for (const [id, originator] of this.selectors.get(s) ?? [])
        if (originator !== exceptOriginator) ids.add(id);
    const items = await Promise.all([...ids].map((id) => this.item(id)));
    return items.filter((i): i is LedgerItem => i !== undefined);
  }

  private indexSelector(r: SelectorRecord): void {
    let items = this.selectors.get(r.selector);
    if (!items) this.selectors.set(r.selector, (items = new Map<string, string>()));
    // Never evicted: a party that could push another's item out of a selector's list (by sending many items
    // of its own with that selector) could then re-publish that item reworded, unseen.
    items.set(r.messageId, r.originator);
  }

  /** Loads the selector index from the ledger once (retried on the next lookup if the ledger is not there yet). */
  private selectorsLoaded(): Promise<void> {
    this.loadingSelectors ??= this.loadSelectors().catch((err: unknown) => {
      this.loadingSelectors = undefined;
      throw new MsxError(
        'ROUTER.LEDGER_UNAVAILABLE',
        `cannot load the selector index: ${(err as Error).message}`,
        {
          cause: err,
          retryable: true,
        },
      );
    });
    return this.loadingSelectors;
  }

  private async loadSelectors(): Promise<void> {
    const filter = Subjects.ledger('selector', '>');
    const { values, lastSeq } = await readAllWithSeq<SelectorRecord>(this.bus, this.bus.jsm, filter);
    for (const r of values) this.indexSelector(r);
    void this.followSelectors(filter, lastSeq + 1);
  }

  /** Follows the index for entries written after the load, by this router or another one. */
  private async followSelectors(filter: string, fromSeq: number): Promise<void> {
    try {
      const consumer = await this.bus.js.consumers.get(Streams.ledger, {
        filter_subjects: filter,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: fromSeq,
      });
      for await (const m of await consumer.consume())
        this.indexSelector(JSON.parse(dec.decode(m.data)) as SelectorRecord);
    } catch (err) {
      if (!this.bus.nc.isClosed())
        this.logger?.error(
          `stopped following the selector index; it is loaded afresh on the next lookup: ${(err as Error).message}`,
        );
    }
    // The follower ended with the connection open: an index that no longer hears of other routers' entries
    // must not answer; the next lookup loads it afresh (and fails, retryably, until it can).
    if (!this.bus.nc.isClosed()) {
      this.selectors.clear();
      this.loadingSelectors = undefined;
    }
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
    await Promise.all(
      selectors.map(async (selector) => {
        const record: SelectorRecord = { selector, messageId: item.messageId, originator: item.originator };
        await this.put(
          Subjects.ledger('selector', `${selector}.${item.messageId}`),
          record,
          `ledger:selector:${selector}:${item.messageId}`,
        );
        this.indexSelector(record);
      }),
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

/** Like {@link readAll}, with the stream sequence of the last message read (0 when none). */
async function readAllWithSeq<T>(
  bus: Bus,
  jsm: JetStreamManager,
  filter: string,
): Promise<{ values: T[]; lastSeq: number }> {
  const info = await jsm.streams.info(Streams.ledger);
  if (info.state.messages === 0) return { values: [], lastSeq: info.state.last_seq };
  const consumer = await bus.js.consumers.get(Streams.ledger, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.LastPerSubject,
  });
  const values: T[] = [];
  let lastSeq = 0;
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1_000, expires: 1_000 });
    let n = 0;
    for await (const m of batch) {
      n++;
      values.push(JSON.parse(dec.decode(m.data)) as T);
      lastSeq = Math.max(lastSeq, m.seq);
      if (m.info.pending === 0) return { values, lastSeq: Math.max(lastSeq, info.state.last_seq) };
    }
    if (n === 0) return { values, lastSeq: Math.max(lastSeq, info.state.last_seq) };
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
