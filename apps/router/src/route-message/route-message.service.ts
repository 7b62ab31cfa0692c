import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiError } from '@nats-io/jetstream';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { ROUTER_NODE } from '#contracts';
import type { Directory } from '#directory';
import { Headers, publishAuditEvents, publishDurably, Streams, Subjects, type Bus } from '#messaging';
import type { IdClaimRecord, PolicyFacts } from '#policy';
import { BUS, busLogger, ServiceMetrics } from '#runtime';
import type { ExpiryIndex } from '../ledger/expiry-index.js';
import type { CopyLocations, Ledger } from '../ledger/ledger.js';
import { DIRECTORY, EXPIRY_INDEX, LEDGER, ROUTER_KEYS } from '../router.tokens.js';
import type { RouterKeys } from '../vouch-deliveries/router-keys.js';
import { ItemLocks } from './item-locks.js';
import { RoutingMetrics } from './routing-metrics.js';
import {
  checkPublisher,
  factsNeeded,
  idClaimFor,
  planRouting,
  type RoutingPlan,
  type Submission,
} from './route-message.handler.js';

/** A copy in a recipient's inbox stream. */
type InboxCopy = RoutingPlan['deleteCopies'][number];

/** JetStream's answer when the message to delete is not in the stream. */
const NO_MESSAGE_FOUND = 10037;
/** How often a recalled copy's deletion is tried while its inbox stream does not answer. */
const DELETE_ATTEMPTS = 4;

/**
 * What the sharing rules need to know about a submission beyond its envelope, read from the ledger: the
 * consent a forward cites, the request a decision answers, an item with the same payload, the items sharing
 * its selectors; and the id of the item it concerns, which the caller reads itself (under its lock when
 * routing). Shared by routing and by the preview, so both decide from the same facts.
 */
export async function sharingFactsOf(
  ledger: Ledger,
  submission: Pick<Submission, 'envelope' | 'publisher' | 'submitSeq'>,
  nowMs: number,
): Promise<{ itemId?: string; facts: Omit<PolicyFacts, 'idClaim' | 'item'> }> {
  const need = factsNeeded(submission.envelope);
  const [consent, request, samePayload, selectorItems] = await Promise.all([
    need.consentId ? ledger.consent(need.consentId) : undefined,
    need.requestId ? ledger.request(need.requestId) : undefined,
    need.checkSamePayload ? ledger.itemByPayload(need.payloadSha256) : undefined,
    need.selectors.length > 0 ? ledger.itemsBySelectors(need.selectors, submission.publisher) : undefined,
  ]);
  return {
    itemId: need.itemId ?? consent?.messageId,
    facts: {
      nowMs,
      payloadSha256: need.payloadSha256,
      submitSeq: submission.submitSeq,
      consent,
      request,
      samePayload,
      selectors: need.selectors,
      selectorItems,
    },
  };
}

/** What {@link RouteMessageService} finds before it takes the lock of the item the submission concerns. */
interface Lookups {
  /** The item a control message concerns, or the item a forward's consent names. */
  itemId?: string;
  /** The id claim, under way; awaited with the item. */
  claim: Promise<IdClaimRecord>;
  facts: Omit<PolicyFacts, 'idClaim' | 'item'>;
}

/**
 * The submission use case, whoever hands the submission over (the JetStream consumer, or the expiry sweeper
 * with the router's own recall): check the publisher → claim the envelope id and look up the facts in the
 * ledger → lock the item it concerns, if any, and read it → plan → publish audit events, then the deliveries
 * and the receipt, each signed by the router → remember in the ledger, release the item → log. Every publish
 * carries a deterministic id, so a submission routed again is routed once.
 */
@Injectable()
export class RouteMessageService {
  private readonly logger = busLogger('RouteMessage');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(DIRECTORY) private readonly directory: Directory,
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject(EXPIRY_INDEX) private readonly expiring: ExpiryIndex,
    @Inject(ROUTER_KEYS) private readonly keys: RouterKeys,
    // Counts what was routed (msx_routed_total); tests that build the service by hand may leave it out.
    @Optional() @Inject(ServiceMetrics) metrics?: ServiceMetrics,
  ) {
    this.metrics = metrics && new RoutingMetrics(metrics);
  }

  private readonly metrics?: RoutingMetrics;

  /** Per item, the submissions about it one after another; see {@link route}. */
  private readonly itemLocks = new ItemLocks();

  /**
   * Claims the envelope id for this submission and looks up what the sharing rules need to know beyond the
   * envelope, except the item it concerns, which {@link itemFacts} reads under the item's lock. The claim is
   * written beside the lookups and awaited with the item, so it costs no extra round trip.
   */
  private async lookUp(submission: Submission, nowMs: number): Promise<Lookups> {
    const claim = this.ledger.claimId(idClaimFor(submission, nowMs));
    // Its failure is reported where it is awaited (itemFacts); this only keeps it from counting as unhandled
    // meanwhile, also when a lookup fails first and it is never awaited.
    claim.catch(() => undefined);
    return { ...(await sharingFactsOf(this.ledger, submission, nowMs)), claim };
  }

  /**
   * The facts complete with the item and the id claim, and the version of the item read; called holding the
   * item's lock.
   */
  private async itemFacts({
    itemId,
    claim,
    facts,
  }: Lookups): Promise<{ facts: PolicyFacts; version: number }> {
    const [read, idClaim] = await Promise.all([
      itemId ? this.ledger.itemForUpdate(itemId) : undefined,
      claim,
    ]);
    return { facts: { ...facts, idClaim, item: read?.item }, version: read?.version ?? 0 };
  }

  /**
   * Routes one submission end to end; resolves once it is published and remembered, so it may be acked.
   *
   * The submissions that concern one item (a forward under consent, a recall, a request about it…) are
   * routed one after another, from reading the item to remembering it: each plans from the item as the one
   * before left it. Routed side by side (the consumer routes many at once), a forward and a recall could
   * both read the old item: the forward reaches a new holder, the recall, planned from the old recipients,
   * never does, and the holder keeps what the originator withdrew; two forwards would each lose the other's
   * recipients. Routers side by side share the ledger: the item's lock is taken in the ledger too (after this
   * router's own, so that one router asks for it once at a time), and the item is stored only over the
   * version it was read at (compare-and-set), so a router whose lease ran out cannot overwrite another's.
   * A new item is not locked: it is stored before its copies go out, and where they landed is added over
   * whatever a recall or a forward wrote meanwhile; a copy of an item recalled meanwhile is removed again.
   */
  async route(submission: Submission): Promise<RoutingPlan> {
    // Nothing is claimed or looked up in the name of a sender that did not publish it.
    checkPublisher(submission);
    const found = await this.lookUp(submission, Date.now());
    const release = found.itemId ? await this.itemLocks.acquire(found.itemId) : undefined;
    let plan: RoutingPlan;
    let deleteCopies: InboxCopy[];
    try {
      const unlock = found.itemId ? await this.ledger.lockItem(found.itemId) : undefined;
      try {
        const { facts, version } = await this.itemFacts(found);
        plan = planRouting(submission, this.directory, facts, this.keys);
        // A new item is its own (version 0: not stored yet); one concerned is stored over the version read.
        deleteCopies = await this.publishAndRemember(submission, plan, found.itemId ? version : undefined);
      } finally {
        await unlock?.();
      }
    } finally {
      release?.();
    }
    this.metrics?.routed(submission, plan);
    for (const c of deleteCopies) await this.deleteCopy(c);
    this.logRouted(submission, plan);
    return plan;
  }

  /**
   * Publishes the audit events, the deliveries and the receipt, and remembers the item with its copies.
   * @param readVersion the version of the item the submission concerns, read under its lock; `undefined` when
   *   the plan's item is the submission's own, new item
   * @returns the inbox copies to remove: a recall's, or this new item's when it was recalled meanwhile
   */
  private async publishAndRemember(
    submission: Submission,
    plan: RoutingPlan,
    readVersion: number | undefined,
  ): Promise<InboxCopy[]> {
    const newItem = readVersion === undefined;
    const correlation: Record<string, string> = submission.correlationId
      ? { [Headers.correlationId]: submission.correlationId }
      : {};
    // Audit first: nothing reaches a recipient that the trail has not been told about. What the ledger must
    // know before a recipient can answer (requests, consents, the item itself) is recorded by then too.
    await Promise.all([
      publishAuditEvents(this.bus.js, ROUTER_NODE, plan.auditEvents, plan.auditMsgID),
      this.rememberBeforeDelivery(plan, newItem),
    ]);
    const [acks] = await Promise.all([
      Promise.all(
        plan.deliveries.map((d) =>
          publishDurably(this.bus.js, Subjects.deliver(d.node), submission.bytes, {
            msgID: d.msgID,
            headers: { ...correlation, ...d.voucher },
          }),
        ),
      ),
      plan.receipt &&
        publishDurably(this.bus.js, Subjects.deliver(submission.envelope.sender), plan.receipt.bytes, {
          msgID: plan.receipt.msgID,
          headers: { ...correlation, ...plan.receipt.voucher },
        }),
    ]);
    const copies = Object.fromEntries(acks.map((a, i) => [plan.deliveries[i].node, a.seq]));
    return this.remember(plan, copies, readVersion);
  }

  /**
   * Removes a copy from its recipient's inbox stream, trying a few times while the stream does not answer;
   * a copy the recipient already removed, or that the stream aged out, is gone either way.
   */
  private async deleteCopy({ node, seq }: InboxCopy): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.bus.jsm.streams.deleteMessage(Streams.inbox(node), seq);
        return;
      } catch (err) {
        if (err instanceof JetStreamApiError && err.code === NO_MESSAGE_FOUND) return;
        if (attempt >= DELETE_ATTEMPTS) {
          this.logger.error(
            `copy #${seq} in ${node}'s inbox is left after ${attempt} attempts: ${(err as Error).message}`,
          );
          return;
        }
        await sleep(100 * 2 ** attempt);
      }
    }
  }

  /** Ledger writes that do not depend on the deliveries, done before anyone can answer them. */
  private async rememberBeforeDelivery(plan: RoutingPlan, newItem: boolean): Promise<void> {
    const w = plan.ledger;
    await Promise.all([
      // Stored before its copies go out, so that a router beside this one finds it when a recipient answers.
      w.item && newItem && this.ledger.storeNewItem(w.item),
      w.payloadIndex && this.ledger.putPayloadIndex(w.payloadIndex.payloadSha256, w.payloadIndex.messageId),
      // Before any recipient holds a copy, so that no copy can come back reworded ahead of the index.
      w.selectorIndex && this.ledger.putSelectorIndex(w.selectorIndex.selectors, w.selectorIndex),
      w.request && this.ledger.putRequest(w.request),
      w.consent && this.ledger.putConsent(w.consent),
    ]);
  }

  /**
   * The item with where its copies landed, once the deliveries are confirmed.
   * @returns the inbox copies to remove (see {@link publishAndRemember})
   */
  private async remember(
    plan: RoutingPlan,
    copies: CopyLocations,
    readVersion: number | undefined,
  ): Promise<InboxCopy[]> {
    const w = plan.ledger;
    if (!w.item) return plan.deleteCopies;
    if (readVersion === undefined) {
      const stored = await this.ledger.addCopies(w.item.messageId, copies);
      if (stored.recalled) return Object.entries(copies).map(([node, seq]) => ({ node, seq }));
      this.expiring.track(stored);
      return plan.deleteCopies;
    }
    const item = { ...w.item, copies: { ...w.item.copies } };
    if (!item.recalled) Object.assign(item.copies, copies);
    await this.ledger.putItem(item, readVersion);
    this.expiring.track(item);
    return plan.deleteCopies;
  }

  private logRouted({ envelope, correlationId }: Submission, plan: RoutingPlan): void {
    const delivered = plan.deliveries.map((d) => d.node).join(', ') || 'no one';
    const withheld = plan.decisions
      .filter((d) => d.outcome === 'withheld')
      .map((d) => `${d.recipient} (${d.rule})`);
    this.logger.log(
      `routed ${envelope.payload.case} ${envelope.id} from ${envelope.sender} to ${delivered}` +
        (plan.refusal ? `; refused under ${plan.refusal.rule}` : '') +
        (withheld.length ? `; withheld from ${withheld.join(', ')}` : '') +
        ` [${correlationId}]`,
    );
  }
}
