import { hash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeliverPolicy, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { MsxError } from '#contracts';
import { publishDurably, Streams, Subjects, type Bus, type BusLogger } from '#messaging';
import type { ConsentRecord, IdClaimRecord, ShareRequestRecord } from '#policy';
import type {
  CopyLocations,
  Ledger,
  LedgerItem,
  ReleaseItemLock,
  SelectorIndexRef,
  VersionedItem,
} from './ledger.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** JetStream's answer when the expected last sequence of a subject is not the stream's. */
const WRONG_LAST_SEQUENCE = 10071;

/**
 * Bytes (of their stored JSON) of the items kept in memory: the version of those this router last wrote or
 * read, for the copies added right after delivery. Every read that decides anything goes to the stream, so
 * only the items of the submissions under way need to stay; older ones go first.
 */
const ITEM_CACHE_BYTES = 4 * 1024 * 1024;

/** How often {@link JetStreamLedger.addCopies} tries again when other routers keep writing the item. */
const COPY_MERGE_ATTEMPTS = 8;

/** An item's lock (`msx.ledger.lock.<item id>`): who holds it and until when; `holder` null once given up. */
interface LockRecord {
  holder: string | null;
  untilMs: number;
}

export interface LedgerOptions {
  /** How long an item's lock holds without being given up: the longest a dead router keeps an item. */
  lockLeaseMs?: number;
  /** How long a submission waits for an item another router holds before it is tried again later. */
  lockWaitMs?: number;
  /** Bytes of items kept in memory ({@link ITEM_CACHE_BYTES} unless told). */
  itemCacheBytes?: number;
}

/** An item kept in memory, with the size of its stored JSON. */
interface CachedItem extends VersionedItem {
  bytes: number;
}

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
  /** Items in the order they were last stored or read, the oldest first. */
  private readonly items = new Map<string, CachedItem>();
  private itemBytes = 0;
  private readonly itemCacheBytes: number;
  /** This router among those sharing the ledger, in the locks it holds. */
  private readonly instance = randomUUID();
  private readonly lockLeaseMs: number;
  private readonly lockWaitMs: number;
  /**
   * The selector index in memory: per digest, the restricted items carrying it (id → originator). Loaded
   * from the ledger on first use and then followed, so that other routers' entries arrive too.
   */
  private readonly selectors = new Map<string, Map<string, string>>();
  private loadingSelectors?: Promise<void>;

  constructor(
    private readonly bus: Bus,
    private readonly logger?: BusLogger,
    options: LedgerOptions = {},
  ) {
    this.lockLeaseMs = options.lockLeaseMs ?? 60_000;
    this.lockWaitMs = options.lockWaitMs ?? 10_000;
    this.itemCacheBytes = options.itemCacheBytes ?? ITEM_CACHE_BYTES;
  }

  /** Bytes of items kept in memory now: at most `itemCacheBytes`, however many items pass through. */
  get cachedItemBytes(): number {
    return this.itemBytes;
  }

  private async get<T>(subject: string): Promise<T | undefined> {
    return (await this.getStored<T>(subject))?.value;
  }

  /**
   * The latest value on a subject with its stream sequence, for a conditional write after it.
   * @param fromLeader read from the stream's leader, which has every acknowledged write: for items and their
   *   locks, which are written over what was read. Otherwise a direct get, answered by any replica without
   *   queueing behind the JetStream API, which may lag the leader by a moment when streams are replicated.
   */
  private async getStored<T>(
    subject: string,
    fromLeader = false,
  ): Promise<{ value: T; seq: number; bytes: number } | undefined> {
    try {
      const m = fromLeader
        ? await this.bus.jsm.streams.getMessage(Streams.ledger, { last_by_subj: subject })
        : await this.bus.jsm.direct.getMessage(Streams.ledger, { last_by_subj: subject });
      return m ? { value: JSON.parse(dec.decode(m.data)) as T, seq: m.seq, bytes: m.data.length } : undefined;
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

  private remember(item: LedgerItem, version: number, bytes: number): void {
    this.forget(item.messageId);
    this.items.set(item.messageId, { item, version, bytes });
    this.itemBytes += bytes;
    for (const [id, oldest] of this.items) {
      if (this.itemBytes <= this.itemCacheBytes) break;
      this.items.delete(id);
      this.itemBytes -= oldest.bytes;
    }
  }

  private forget(messageId: string): void {
    const cached = this.items.get(messageId);
    if (!cached) return;
    this.items.delete(messageId);
    this.itemBytes -= cached.bytes;
  }

  /**
   * Writes an item only if its subject's last version is `version` (0: never written).
   * @returns the version written, or `undefined` when another write came first
   */
  private async writeItem(item: LedgerItem, version: number): Promise<number | undefined> {
    // The id names the version written over and the exact content: a retry of this very write is
    // deduplicated, while another write over the same version is not taken for it (deduplication is checked
    // before the expectation, and would otherwise answer a conflicting write with the other one's success).
    const data = enc.encode(JSON.stringify(item));
    try {
      const ack = await this.bus.js.publish(Subjects.ledger('item', item.messageId), data, {
        msgID: `ledger:item:${item.messageId}:${version}:${hash('sha256', data, 'base64url')}`,
        expect: { lastSubjectSequence: version },
      });
      this.remember(item, ack.seq, data.length);
      return ack.seq;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE) {
        this.forget(item.messageId);
        return undefined;
      }
      throw new MsxError('ROUTER.LEDGER_UNAVAILABLE', `ledger write failed: ${(err as Error).message}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  /** The item as last stored, read from the stream's leader whatever this router holds in memory. */
  private async latest(messageId: string): Promise<VersionedItem | undefined> {
    const stored = await this.getStored<LedgerItem>(Subjects.ledger('item', messageId), true);
    if (stored) this.remember(stored.value, stored.seq, stored.bytes);
    return stored && { item: stored.value, version: stored.seq };
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

  async idClaim(messageId: string): Promise<IdClaimRecord | undefined> {
    return this.get<IdClaimRecord>(Subjects.ledger('id', messageId.toLowerCase()));
  }

  async item(messageId: string): Promise<LedgerItem | undefined> {
    return (await this.latest(messageId))?.item;
  }

  async lockItem(messageId: string): Promise<ReleaseItemLock> {
    const subject = Subjects.ledger('lock', messageId);
    const holder = `${this.instance}:${randomUUID()}`;
    const deadline = Date.now() + this.lockWaitMs;
    for (let pause = 2; ; pause = Math.min(pause * 2, 100)) {
      const held = await this.getStored<LockRecord>(subject, true);
      if (!held || held.value.holder === null || held.value.untilMs <= Date.now()) {
        try {
          const record: LockRecord = { holder, untilMs: Date.now() + this.lockLeaseMs };
          // Taken only over the version read: of two routers that found it free, one gets it. The msgID makes
          // a retry of this very write a duplicate rather than a conflict.
          const ack = await this.bus.js.publish(subject, enc.encode(JSON.stringify(record)), {
            msgID: `ledger:lock:${holder}`,
            expect: { lastSubjectSequence: held?.seq ?? 0 },
          });
          return () => this.unlock(subject, ack.seq);
        } catch (err) {
          if (!(err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE)) {
            // Its answer lost, the lock may be ours all the same: then it is given up, not left to its lease.
            const mine = await this.getStored<LockRecord>(subject, true).catch(() => undefined);
            if (mine?.value.holder === holder) return () => this.unlock(subject, mine.seq);
            throw new MsxError(
              'ROUTER.LEDGER_UNAVAILABLE',
              `cannot lock item ${messageId}: ${(err as Error).message}`,
              { cause: err, retryable: true },
            );
          }
        }
      }
      if (Date.now() >= deadline)
        throw new MsxError(
          'ROUTER.ITEM_BUSY',
          `item ${messageId} is held by another router for longer than ${this.lockWaitMs} ms`,
          // Waiting is not failing: it never counts towards giving the submission up.
          { hold: true },
        );
      await sleep(pause);
    }
  }

  /** Gives up a lock taken at `seq`; a lock taken over meanwhile (its lease ran out) is left to its holder. */
  private async unlock(subject: string, seq: number): Promise<void> {
    const record: LockRecord = { holder: null, untilMs: 0 };
    await this.bus.js
      .publish(subject, enc.encode(JSON.stringify(record)), { expect: { lastSubjectSequence: seq } })
      .catch((err: unknown) => {
        if (!(err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE))
          this.logger?.warn(`could not give up ${subject}; its lease runs out: ${(err as Error).message}`);
      });
  }

  itemForUpdate(messageId: string): Promise<VersionedItem | undefined> {
    return this.latest(messageId);
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

  async putItem(item: LedgerItem, version: number): Promise<void> {
    if ((await this.writeItem(item, version)) === undefined)
      throw new MsxError(
        'ROUTER.LEDGER_CONFLICT',
        `item ${item.messageId} changed in the ledger since it was read; routed again from the new version`,
        { retryable: true },
      );
  }

  async storeNewItem(item: LedgerItem): Promise<void> {
    // Stored already: by this submission's earlier attempt (its id claim is this submission's), perhaps
    // changed since by a recall or a forward; the copies are then added to that version.
    if ((await this.writeItem(item, 0)) === undefined && !(await this.latest(item.messageId)))
      throw new MsxError(
        'ROUTER.LEDGER_UNAVAILABLE',
        `item ${item.messageId} is stored but cannot be read yet`,
        {
          retryable: true,
        },
      );
  }

  async addCopies(messageId: string, copies: CopyLocations): Promise<LedgerItem> {
    let base: VersionedItem | undefined = this.items.get(messageId);
    for (let attempt = 1; attempt <= COPY_MERGE_ATTEMPTS; attempt++) {
      base ??= await this.latest(messageId);
      if (!base || base.version === 0)
        throw new MsxError('ROUTER.LEDGER_UNAVAILABLE', `item ${messageId} is not stored yet`, {
          retryable: true,
        });
      if (base.item.recalled) return base.item;
      const item = {
        ...base.item,
        recipients: [...new Set([...base.item.recipients, ...Object.keys(copies)])],
        copies: { ...base.item.copies, ...copies },
      };
      if ((await this.writeItem(item, base.version)) !== undefined) return item;
      base = undefined;
    }
    throw new MsxError(
      'ROUTER.LEDGER_CONFLICT',
      `item ${messageId} keeps changing; its copies are added later`,
      {
        retryable: true,
      },
    );
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
