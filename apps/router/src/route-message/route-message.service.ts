import { Inject, Injectable } from '@nestjs/common';
import { ROUTER_NODE } from '#contracts';
import type { Directory } from '#directory';
import { Headers, publishAuditEvents, publishDurably, Streams, Subjects, type Bus } from '#messaging';
import type { PolicyFacts } from '#policy';
import { BUS, busLogger } from '#runtime';
import type { ExpiryIndex } from '../ledger/expiry-index.js';
import type { Ledger } from '../ledger/ledger.js';
import { DIRECTORY, EXPIRY_INDEX, LEDGER, ROUTER_KEYS } from '../router.tokens.js';
import type { RouterKeys } from '../vouch-deliveries/router-keys.js';
import {
  checkPublisher,
  factsNeeded,
  idClaimFor,
  planRouting,
  type RoutingPlan,
  type Submission,
} from './route-message.handler.js';

/**
 * The submission use case, whoever hands the submission over (the JetStream consumer, or the expiry sweeper
 * with the router's own recall): check the publisher → claim the envelope id and look up the facts in the
 * ledger → plan → publish audit events, then the deliveries and the receipt, each signed by the router →
 * remember in the ledger → log. Every publish carries a deterministic id, so a submission routed again is
 * routed once.
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
  ) {}

  /**
   * Claims the envelope id for this submission and looks up what the sharing rules need to know beyond the
   * envelope. The claim is written beside the lookups, so it costs no extra round trip.
   */
  async factsFor(submission: Submission, nowMs: number): Promise<PolicyFacts> {
    const need = factsNeeded(submission.envelope);
    const claim = this.ledger.claimId(idClaimFor(submission, nowMs));
    // Its failure is reported where it is awaited below; this only keeps it from counting as unhandled meanwhile.
    claim.catch(() => undefined);
    const [consent, request, samePayload, selectorItems] = await Promise.all([
      need.consentId ? this.ledger.consent(need.consentId) : undefined,
      need.requestId ? this.ledger.request(need.requestId) : undefined,
      need.checkSamePayload ? this.ledger.itemByPayload(need.payloadSha256) : undefined,
      need.selectors.length > 0
        ? this.ledger.itemsBySelectors(need.selectors, submission.publisher)
        : undefined,
    ]);
    const itemId = need.itemId ?? consent?.messageId;
    const [item, idClaim] = await Promise.all([itemId ? this.ledger.item(itemId) : undefined, claim]);
    return {
      nowMs,
      payloadSha256: need.payloadSha256,
      submitSeq: submission.submitSeq,
      idClaim,
      item,
      consent,
      request,
      samePayload,
      selectors: need.selectors,
      selectorItems,
    };
  }

  /** Routes one submission end to end; resolves once it is published and remembered, so it may be acked. */
  async route(submission: Submission): Promise<RoutingPlan> {
    // Nothing is claimed or looked up in the name of a sender that did not publish it.
    checkPublisher(submission);
    const facts = await this.factsFor(submission, Date.now());
    const plan = planRouting(submission, this.directory, facts, this.keys);
    const correlation: Record<string, string> = submission.correlationId
      ? { [Headers.correlationId]: submission.correlationId }
      : {};
    // Audit first: nothing reaches a recipient that the trail has not been told about. What the ledger must
    // know before a recipient can answer (requests, consents, the item itself) is recorded by then too.
    await Promise.all([
      publishAuditEvents(this.bus.js, ROUTER_NODE, plan.auditEvents, plan.auditMsgID),
      this.rememberBeforeDelivery(plan),
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
    await this.remember(
      plan,
      acks.map((a, i) => [plan.deliveries[i].node, a.seq] as const),
    );
    for (const c of plan.deleteCopies) {
      // The recipient may already have removed it, or the stream aged it out: either way it is gone.
      await this.bus.jsm.streams.deleteMessage(Streams.inbox(c.node), c.seq).catch(() => false);
    }
    this.logRouted(submission, plan);
    return plan;
  }

  /** Ledger writes that do not depend on the deliveries, done before anyone can answer them. */
  private async rememberBeforeDelivery(plan: RoutingPlan): Promise<void> {
    const w = plan.ledger;
    if (w.item) this.ledger.preview(w.item);
    await Promise.all([
      w.payloadIndex && this.ledger.putPayloadIndex(w.payloadIndex.payloadSha256, w.payloadIndex.messageId),
      // Before any recipient holds a copy, so that no copy can come back reworded ahead of the index.
      w.selectorIndex && this.ledger.putSelectorIndex(w.selectorIndex.selectors, w.selectorIndex),
      w.request && this.ledger.putRequest(w.request),
      w.consent && this.ledger.putConsent(w.consent),
    ]);
  }

  /** The item with where its copies landed, once the deliveries are confirmed. */
  private async remember(plan: RoutingPlan, copies: (readonly [string, number])[]): Promise<void> {
    const w = plan.ledger;
    if (!w.item) return;
    const item = { ...w.item, copies: { ...w.item.copies } };
    if (!item.recalled) for (const [node, seq] of copies) item.copies[node] = seq;
    await this.ledger.putItem(item);
    this.expiring.track(item);
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
