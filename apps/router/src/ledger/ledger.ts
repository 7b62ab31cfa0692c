import type { ConsentRecord, IdClaimRecord, ItemRecord, ShareRequestRecord } from '#policy';

/** Where inbox copies of an item are: recipient → stream sequence in its inbox. */
export type CopyLocations = Record<string, number>;

/** An item with where its copies are, so a recall can remove them from the inboxes too. */
export interface LedgerItem extends ItemRecord {
  copies: CopyLocations;
}

/** An item with the ledger stream's sequence of the version it is. */
export interface VersionedItem {
  item: LedgerItem;
  version: number;
}

/** An item as a selector's entry lists it: enough to skip a sender's own items without reading them. */
export interface SelectorIndexRef {
  messageId: string;
  originator: string;
}

/** Gives up an item's lock in the ledger; resolves once it is given up (or found taken over after its lease). */
export type ReleaseItemLock = () => Promise<void>;

/**
 * The router's memory, behind a port so the routing logic does not know where it lives: what was routed
 * to whom, which share requests were made and which consents given.
 */
export interface Ledger {
  /**
   * Claims an envelope id for a submission, atomically: the first claim of an id is kept and never replaced,
   * whoever asks later. Ids are compared in lower case (a UUID in upper case is the same id).
   * @returns the claim that holds: `claim` when the id was free or is already this submission's (same
   *   originator and submit sequence: a redelivery), otherwise the earlier claim
   * @throws MsxError `ROUTER.LEDGER_UNAVAILABLE` (retryable) when the ledger cannot be written or read
   */
  claimId(claim: IdClaimRecord): Promise<IdClaimRecord>;
  /** The claim that holds an envelope id, if any; reads only (a preview asks it without claiming). */
  idClaim(messageId: string): Promise<IdClaimRecord | undefined>;
  /** The item as last stored by any router. */
  item(messageId: string): Promise<LedgerItem | undefined>;
  /**
   * Takes the item's lock across every router sharing the ledger, for the time a submission about it is
   * planned, published and remembered; waits while another router holds it. A lock whose holder died is free
   * once its lease has run out.
   * @throws MsxError `ROUTER.ITEM_BUSY` (a hold: retried, never counted as a failure) when it stays held
   *   longer than the wait allowed
   */
  lockItem(messageId: string): Promise<ReleaseItemLock>;
  /**
   * Under the item's lock: the item as last stored by any router, with its version, over which
   * {@link putItem} then stores.
   */
  itemForUpdate(messageId: string): Promise<VersionedItem | undefined>;
  /** The first item carrying this payload (by SHA-256 of its bytes). */
  itemByPayload(payloadSha256: string): Promise<LedgerItem | undefined>;
  /**
   * The items that need their originator's consent and carry at least one of these selectors (digests from
   * `selectorsOf`), each once, leaving out those of `exceptOriginator` (a sender's own items never make its
   * submission onward sharing) and items the ledger no longer holds.
   * @throws MsxError `ROUTER.LEDGER_UNAVAILABLE` (retryable) when the ledger cannot be read
   */
  itemsBySelectors(selectors: readonly string[], exceptOriginator?: string): Promise<LedgerItem[]>;
  request(requestId: string): Promise<ShareRequestRecord | undefined>;
  consent(decisionId: string): Promise<ConsentRecord | undefined>;
  /**
   * Stores an item read with {@link itemForUpdate}, only over the version read (compare-and-set).
   * @throws MsxError `ROUTER.LEDGER_CONFLICT` (retryable) when another write came in between
   */
  putItem(item: LedgerItem, version: number): Promise<void>;
  /**
   * Stores a new item before its copies are delivered, so that every router finds it as soon as a recipient
   * can answer. A redelivered submission finds its own item stored and goes on from it.
   */
  storeNewItem(item: LedgerItem): Promise<void>;
  /**
   * Adds where a new item's copies landed, over whatever another router wrote meanwhile (a forward, a recall).
   * @returns the item as it now stands; when it was recalled meanwhile the copies are not added, and the
   *   caller removes them from the inboxes
   * @throws MsxError `ROUTER.LEDGER_CONFLICT` (retryable) when the item keeps changing under it
   */
  addCopies(messageId: string, copies: CopyLocations): Promise<LedgerItem>;
  putPayloadIndex(payloadSha256: string, messageId: string): Promise<void>;
  /**
   * Records that an item needing its originator's consent carries these selectors (digests), so that
   * {@link itemsBySelectors} finds it, also after a restart and from every router. Idempotent.
   * @throws MsxError `ROUTER.LEDGER_UNAVAILABLE` (retryable) when the index cannot be written
   */
  putSelectorIndex(selectors: readonly string[], item: SelectorIndexRef): Promise<void>;
  putRequest(request: ShareRequestRecord): Promise<void>;
  putConsent(consent: ConsentRecord): Promise<void>;
  /** Every item not yet recalled that expires; read at start to resume expiry. */
  expiringItems(): Promise<LedgerItem[]>;
}
