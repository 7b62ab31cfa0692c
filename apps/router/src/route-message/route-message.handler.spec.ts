import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { create, toJson, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  DEFAULT_PURPOSES,
  AcknowledgementSchema,
  ROUTER_NODE,
  AuditOperation,
  CrossCheckRequestSchema,
  decodeEnvelope,
  DeliveryReceiptSchema,
  DecisionOutcome,
  encodeEnvelope,
  EnvelopeSchema,
  ErasureReceiptSchema,
  HandlingCode,
  HitNoticeSchema,
  nameBasedId,
  publicKeyDer,
  RecallReason,
  Purpose,
  RecallSchema,
  ReleasabilityScope,
  RouteReportSchema,
  sha256Hex,
  ShareDecisionSchema,
  ShareRequestSchema,
  SmugglingRoute,
  Tlp,
  toBinaryPayload,
  validateEnvelopeJson,
  verifyDelivery,
  type Envelope,
} from '#contracts';
import { selectorsOf, type IdClaimRecord, type PolicyFacts } from '#policy';
import { testDirectory } from '#testing';
import { expiryRecallFor } from '../expire-items/expiry-recall.js';
import type { LedgerItem } from '../ledger/ledger.js';
import { routerKeysFrom } from '../vouch-deliveries/router-keys.js';
import { factsNeeded, idClaimFor, planRouting, type RoutingPlan } from './route-message.handler.js';

const directory = testDirectory();
const NEEDS_CONSENT = 'POLICY.ONWARD_SHARING_NEEDS_CONSENT';
const NOW = Date.UTC(2026, 10, 28, 12);
const ID = '0193a1b2-0000-7000-8000-00000000000a';

const envelope = (over: MessageInitShape<typeof EnvelopeSchema> = {}) =>
  create(EnvelopeSchema, {
    id: ID,
    sender: 'emlo-ne',
    author: 'emlo-ne.officer-17',
    route: SmugglingRoute.CENTRAL_MEDITERRANEAN,
    handlingCode: HandlingCode.H1,
    tlp: Tlp.AMBER,
    payload: { case: 'routeReport', value: create(RouteReportSchema, { departureArea: 'Zuwara coast' }) },
    ...over,
  });

const bytes = new TextEncoder().encode('exact bytes received');
/** The submission's sequence in the submit stream. */
const SEQ = 41;
const facts = (env: ReturnType<typeof envelope>, over: Partial<PolicyFacts> = {}): PolicyFacts => ({
  nowMs: NOW,
  payloadSha256: factsNeeded(env).payloadSha256,
  ...over,
});
const routerKey = generateKeyPairSync('ed25519').privateKey;
const keys = routerKeysFrom(routerKey);
const routerPublicKey = publicKeyDer(createPublicKey(routerKey));
const plan = (env = envelope(), over: Partial<PolicyFacts> = {}, submitSeq = SEQ) =>
  planRouting(
    { envelope: env, bytes, publisher: env.sender, submitSeq, correlationId: 'c1' },
    directory,
    facts(env, over),
    keys,
  );

const item: LedgerItem = {
  messageId: ID,
  originator: 'emlo-ne',
  type: 'routeReport',
  handlingCode: HandlingCode.H1,
  tlp: Tlp.AMBER,
  payloadSha256: sha256Hex(toBinaryPayload(envelope())),
  recipients: ['cp-it', 'jot-mare'],
  copies: { 'cp-it': 7, 'jot-mare': 3 },
  expiresAtMs: NOW - 1,
};

describe('planRouting', () => {
  it('delivers the original bytes to each allowed recipient under a deterministic id', () => {
    expect(plan().deliveries.map(({ node, msgID }) => ({ node, msgID }))).toEqual([
      { node: 'afic', msgID: `${ID}:afic` },
      { node: 'cp-it', msgID: `${ID}:cp-it` },
      { node: 'jot-mare', msgID: `${ID}:jot-mare` },
    ]);
  });

  it('audits the submission and one decision per candidate, with the hash of the exact bytes', () => {
    const p = plan(envelope({ tlp: Tlp.RED, recipients: ['cp-it'] }));
    expect(p.auditEvents.map((e) => [e.operation, e.counterpartNode, e.rule])).toEqual([
      [AuditOperation.SUBMITTED, '', ''],
      [AuditOperation.WITHHELD, 'afic', 'POLICY.TLP_RED_NAMED_ONLY'],
      [AuditOperation.WITHHELD, 'afic-partner-sn', 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE'],
      [AuditOperation.DELIVERED, 'cp-it', 'POLICY.ALLOWED'],
      [AuditOperation.WITHHELD, 'jot-mare', 'POLICY.TLP_RED_NAMED_ONLY'],
    ]);
    for (const e of p.auditEvents) {
      expect(e.messageSha256).toBe(sha256Hex(bytes));
      expect(e.actorNode).toBe('emlo-ne');
      expect(e.correlationId).toBe('c1');
    }
    expect(new Set(p.auditEvents.map((e) => e.eventId)).size).toBe(5);
  });

  it('gives the same event ids when the same submission is routed again', () => {
    const ids = (p: ReturnType<typeof plan>) => p.auditEvents.map((e) => e.eventId);
    expect(ids(plan())).toEqual(ids(plan()));
  });

  it('sends the sender a receipt with every decision', () => {
    const receipt = plan(envelope({ tlp: Tlp.RED, recipients: ['cp-it'] })).receipt!.envelope;
    expect(receipt.sender).toBe(ROUTER_NODE);
    expect(receipt.recipients).toEqual(['emlo-ne']);
    expect(receipt.inReplyTo).toBe(ID);
    expect(receipt.tlp).toBe(Tlp.RED);
    const decisions = receipt.payload.case === 'deliveryReceipt' ? receipt.payload.value.decisions : [];
    expect(decisions.map((d) => [d.recipient, d.outcome, d.rule])).toEqual([
      ['afic', DecisionOutcome.WITHHELD, 'POLICY.TLP_RED_NAMED_ONLY'],
      ['afic-partner-sn', DecisionOutcome.WITHHELD, 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE'],
      ['cp-it', DecisionOutcome.DELIVERED, 'POLICY.ALLOWED'],
      ['jot-mare', DecisionOutcome.WITHHELD, 'POLICY.TLP_RED_NAMED_ONLY'],
    ]);
  });

  it('refuses an envelope whose sender is not the node that published it', () => {
    const env = envelope({ sender: 'cp-it' });
    expect(() =>
      planRouting(
        { envelope: env, bytes, publisher: 'emlo-ne', submitSeq: SEQ, correlationId: '' },
        directory,
        facts(env),
        keys,
      ),
    ).toThrow(expect.objectContaining({ code: 'POLICY.SENDER_NOT_PUBLISHER', retryable: false }));
  });
});

describe('what the ledger remembers', () => {
  it('remembers a new item with its recipients, expiry and payload', () => {
    const env = envelope({ expiresAt: timestampFromMs(NOW + 86_400_000) });
    const { ledger } = plan(env);
    expect(ledger.item).toMatchObject({
      messageId: ID,
      originator: 'emlo-ne',
      recipients: ['afic', 'cp-it', 'jot-mare'],
      expiresAtMs: NOW + 86_400_000,
      payloadSha256: factsNeeded(env).payloadSha256,
    });
    expect(ledger.payloadIndex).toEqual({ payloadSha256: factsNeeded(env).payloadSha256, messageId: ID });
  });

  it('remembers what an item serves: what it states, else its type defaults', () => {
    expect(plan(envelope()).ledger.item?.purposes).toEqual(DEFAULT_PURPOSES.routeReport);
    const stated = envelope({ purposes: [Purpose.RISK_ANALYSIS] });
    expect(plan(stated).ledger.item?.purposes).toEqual([Purpose.RISK_ANALYSIS]);
  });

  it('remembers nothing of an item delivered to no one', () => {
    expect(plan(envelope({ expiresAt: timestampFromMs(NOW - 1) })).ledger).toEqual({});
  });

  it('records a share request and the consent that answers it', () => {
    const request = envelope({
      id: '0193a1b2-0000-7000-8000-0000000000b1',
      sender: 'cp-it',
      recipients: ['emlo-ne'],
      payload: {
        case: 'shareRequest',
        value: create(ShareRequestSchema, { messageId: ID, proposedRecipients: ['cp-gr'] }),
      },
    });
    expect(plan(request, { item }).ledger.request).toEqual({
      requestId: request.id,
      messageId: ID,
      requester: 'cp-it',
      proposedRecipients: ['cp-gr'],
    });
    const decision = envelope({
      id: '0193a1b2-0000-7000-8000-0000000000b2',
      recipients: ['cp-it'],
      payload: {
        case: 'shareDecision',
        value: create(ShareDecisionSchema, {
          requestId: request.id,
          messageId: ID,
          granted: true,
          grantedRecipients: ['cp-gr'],
        }),
      },
    });
    const p = plan(decision, {
      item,
      request: { requestId: request.id, messageId: ID, requester: 'cp-it', proposedRecipients: ['cp-gr'] },
    });
    expect(p.deliveries.map((d) => d.node)).toEqual(['cp-it']);
    expect(p.ledger.consent).toEqual({
      decisionId: decision.id,
      messageId: ID,
      originator: 'emlo-ne',
      requester: 'cp-it',
      granted: true,
      grantedRecipients: ['cp-gr'],
      validUntilMs: undefined,
    });
  });

  it('audits a forward as forwarded and adds its recipients to the item', () => {
    const fwd = envelope({
      id: '0193a1b2-0000-7000-8000-0000000000b3',
      sender: 'cp-it',
      recipients: ['cp-gr'],
      consentRef: 'd1',
    });
    const consent = {
      decisionId: 'd1',
      messageId: ID,
      originator: 'emlo-ne',
      requester: 'cp-it',
      granted: true,
      grantedRecipients: ['cp-gr'],
    };
    const p = plan(fwd, { item, consent });
    expect(
      p.auditEvents.filter((e) => e.operation === AuditOperation.FORWARDED).map((e) => e.counterpartNode),
    ).toEqual(['cp-gr']);
    expect(p.ledger.item?.recipients).toEqual(['cp-it', 'jot-mare', 'cp-gr']);
  });

  it('recalls from every recipient and removes their inbox copies', () => {
    const recall = envelope({
      id: '0193a1b2-0000-7000-8000-0000000000b4',
      recipients: [],
      payload: {
        case: 'recall',
        value: create(RecallSchema, { messageId: ID, reason: RecallReason.INACCURATE }),
      },
    });
    const p = plan(recall, { item });
    expect(p.deliveries.map((d) => d.node)).toEqual(['cp-it', 'jot-mare']);
    expect(p.deleteCopies).toEqual([
      { node: 'cp-it', seq: 7 },
      { node: 'jot-mare', seq: 3 },
    ]);
    expect(p.ledger.item?.recalled).toBe(true);
  });
});

describe('expiry', () => {
  it("builds the router's recall of an expired item, valid for every recipient to decode", () => {
    const recall = expiryRecallFor(item, NOW, keys);
    const decoded = decodeEnvelope(encodeEnvelope(recall));
    expect(decoded.sender).toBe(ROUTER_NODE);
    expect(decoded.recipients).toEqual(['cp-it', 'jot-mare']);
    expect(decoded.payload).toMatchObject({
      case: 'recall',
      value: { messageId: ID, reason: RecallReason.EXPIRED },
    });
    const p = planRouting(
      { envelope: recall, bytes, publisher: ROUTER_NODE, submitSeq: 0, correlationId: '' },
      directory,
      facts(recall, { item }),
      keys,
    );
    expect(p.deliveries.map((d) => d.node)).toEqual(['cp-it', 'jot-mare']);
    expect(p.receipt).toBeUndefined();
  });
});

/** The router's voucher on a copy, checked as the node that finds it in its inbox would. */
const verdict = (
  copy: { voucher: Record<string, string> },
  recipient: string,
  messageId: string,
  copyBytes: Uint8Array,
) => verifyDelivery(routerPublicKey, recipient, messageId, copyBytes, (h) => copy.voucher[h]);

const recallOf = (over: MessageInitShape<typeof EnvelopeSchema> = {}) =>
  envelope({
    id: '0193a1b2-0000-7000-8000-0000000000c1',
    recipients: [],
    payload: {
      case: 'recall',
      value: create(RecallSchema, { messageId: ID, reason: RecallReason.INACCURATE }),
    },
    ...over,
  });

describe('deliveries the router vouches for', () => {
  it('signs every copy for its recipient and these bytes only', () => {
    const p = plan();
    expect(p.deliveries.length).toBe(3);
    const other = new TextEncoder().encode('other bytes');
    for (const d of p.deliveries) {
      expect(verdict(d, d.node, ID, bytes)).toEqual({ vouched: true, decision: 'delivered' });
      const elsewhere = d.node === 'cp-it' ? 'jot-mare' : 'cp-it';
      expect(verdict(d, elsewhere, ID, bytes)).toMatchObject({
        vouched: false,
        code: 'DELIVERY.BAD_SIGNATURE',
      });
      expect(verdict(d, d.node, ID, other)).toMatchObject({ vouched: false, code: 'DELIVERY.BAD_SIGNATURE' });
      expect(verdict(d, d.node, '0193a1b2-0000-7000-8000-0000000000ff', bytes)).toMatchObject({
        vouched: false,
      });
    }
  });

  it('vouches for a forwarded copy as forwarded, naming the item it is a copy of, and a recall as recall', () => {
    const fwd = envelope({
      id: '0193a1b2-0000-7000-8000-0000000000b3',
      sender: 'cp-it',
      recipients: ['cp-gr'],
      consentRef: 'd1',
    });
    const consent = {
      decisionId: 'd1',
      messageId: ID,
      originator: 'emlo-ne',
      requester: 'cp-it',
      granted: true,
      grantedRecipients: ['cp-gr'],
    };
    const [forwarded] = plan(fwd, { item, consent }).deliveries;
    expect(verdict(forwarded, 'cp-gr', fwd.id, bytes)).toEqual({
      vouched: true,
      decision: 'forwarded',
      item: ID,
    });
    const recall = recallOf();
    const copies = plan(recall, { item }).deliveries;
    expect(copies.map((c) => c.node)).toEqual(['cp-it', 'jot-mare']);
    for (const c of copies)
      expect(verdict(c, c.node, recall.id, bytes)).toEqual({ vouched: true, decision: 'recall' });
  });

  it("signs the sender's receipt for the sender, over the receipt's exact bytes", () => {
    const { receipt } = plan();
    expect(encodeEnvelope(receipt!.envelope)).toEqual(receipt!.bytes);
    expect(verdict(receipt!, 'emlo-ne', receipt!.envelope.id, receipt!.bytes)).toEqual({
      vouched: true,
      decision: 'receipt',
    });
    expect(verdict(receipt!, 'cp-it', receipt!.envelope.id, receipt!.bytes)).toMatchObject({
      vouched: false,
    });
  });

  it('vouches for nothing with a key other than the pinned one', () => {
    const [d] = plan().deliveries;
    const otherKey = publicKeyDer(generateKeyPairSync('ed25519').publicKey);
    expect(verifyDelivery(otherKey, d.node, ID, bytes, (h) => d.voucher[h])).toMatchObject({
      vouched: false,
      code: 'DELIVERY.UNKNOWN_KEY',
    });
  });
});

describe('ids the router makes itself', () => {
  it('gives a receipt and an expiry recall ids no party can compute, the same on every retry', () => {
    const receiptId = plan().receipt!.envelope.id;
    expect(plan().receipt!.envelope.id).toBe(receiptId);
    expect(plan().receipt!.msgID).toBe(receiptId);
    expect(receiptId).not.toBe(nameBasedId(ID, 'receipt'));
    const recallId = expiryRecallFor(item, NOW, keys).id;
    expect(expiryRecallFor(item, NOW + 60_000, keys).id).toBe(recallId);
    expect(recallId).not.toBe(nameBasedId(ID, 'expiry-recall'));
    // Another key gives other ids: they hang on the router's secret, not on what parties know.
    const otherKeys = routerKeysFrom(generateKeyPairSync('ed25519').privateKey);
    expect(expiryRecallFor(item, NOW, otherKeys).id).not.toBe(recallId);
    expect(
      planRouting(
        { envelope: envelope(), bytes, publisher: 'emlo-ne', submitSeq: SEQ, correlationId: '' },
        directory,
        facts(envelope()),
        otherKeys,
      ).receipt!.envelope.id,
    ).not.toBe(receiptId);
    expect(decodeEnvelope(encodeEnvelope(expiryRecallFor(item, NOW, keys))).id).toBe(recallId);
  });
});

describe('an item id belongs to its originator from first sight', () => {
  /** The claim on ID made by `originator`'s submission number `submitSeq`. */
  const claim = (originator: string, submitSeq: number): IdClaimRecord => ({
    messageId: ID,
    originator,
    sha256: sha256Hex(bytes),
    submitSeq,
    firstSeenAtMs: NOW - 3 * 3_600_000,
  });
  const ids = (p: RoutingPlan) => [
    ...p.auditEvents.map((e) => e.eventId),
    p.auditMsgID,
    p.receipt!.envelope.id,
    p.receipt!.msgID,
  ];
  const decisionsOf = (receipt: Envelope) =>
    receipt.payload.case === 'deliveryReceipt' ? receipt.payload.value : undefined;

  it("refuses another party's item under a claimed id: no delivery, nothing remembered, audited and reported", () => {
    const original = plan(envelope(), { idClaim: claim('emlo-ne', SEQ) }, SEQ);
    const takeover = envelope({ sender: 'cp-it', recipients: ['jot-mare'] });
    const p = plan(takeover, { idClaim: claim('emlo-ne', SEQ) }, SEQ + 7);
    expect(p.refusal?.rule).toBe('POLICY.ID_ALREADY_USED');
    expect(p.deliveries).toEqual([]);
    expect(p.ledger).toEqual({});
    expect(p.deleteCopies).toEqual([]);
    expect(p.auditEvents.map((e) => [e.operation, e.counterpartNode, e.rule])).toEqual([
      [AuditOperation.SUBMITTED, '', ''],
      [AuditOperation.REJECTED, '', 'POLICY.ID_ALREADY_USED'],
      ...p.decisions.map((d) => [AuditOperation.WITHHELD, d.recipient, 'POLICY.ID_ALREADY_USED']),
    ]);
    expect(p.decisions.map((d) => d.recipient)).toContain('jot-mare');
    const receipt = p.receipt!.envelope;
    expect(receipt.recipients).toEqual(['cp-it']);
    expect(decisionsOf(receipt)).toMatchObject({
      messageId: ID,
      refusedRule: 'POLICY.ID_ALREADY_USED',
      refusedReason: `id ${ID} already belongs to an item first seen at 2026-11-28T09:00:00.000Z`,
    });
    expect(decisionsOf(receipt)!.refusedReason).not.toContain('emlo-ne');
    // Nothing of the refusal collides with the original's audit events or receipt, so the store keeps both.
    for (const id of ids(p)) expect(ids(original)).not.toContain(id);
  });

  it('routes a redelivery of the first submission under the same ids', () => {
    const first = plan(envelope(), { idClaim: claim('emlo-ne', SEQ) }, SEQ);
    const again = plan(envelope(), { idClaim: claim('emlo-ne', SEQ) }, SEQ);
    expect(first.refusal).toBeUndefined();
    expect(again.deliveries.map((d) => d.node)).toEqual(['afic', 'cp-it', 'jot-mare']);
    expect(ids(again)).toEqual(ids(first));
  });

  it("refuses the originator's own resubmission of a claimed id under another submit sequence", () => {
    const p = plan(envelope(), { idClaim: claim('emlo-ne', SEQ) }, SEQ + 1);
    expect(p.refusal?.rule).toBe('POLICY.ID_ALREADY_USED');
    expect(p.deliveries).toEqual([]);
    expect(p.ledger).toEqual({});
  });

  it('audits and reports a refusal that has no candidate at all', () => {
    const request = envelope({
      id: '0193a1b2-0000-7000-8000-0000000000b1',
      sender: 'cp-it',
      recipients: [],
      payload: { case: 'shareRequest', value: create(ShareRequestSchema, { messageId: ID }) },
    });
    const p = plan(request);
    expect(p.decisions).toEqual([]);
    expect(p.auditEvents.map((e) => [e.operation, e.rule])).toEqual([
      [AuditOperation.SUBMITTED, ''],
      [AuditOperation.REJECTED, 'POLICY.ITEM_UNKNOWN'],
    ]);
    expect(decisionsOf(p.receipt!.envelope)).toMatchObject({
      decisions: [],
      refusedRule: 'POLICY.ITEM_UNKNOWN',
      refusedReason: `no item ${ID} was routed through the exchange`,
    });
  });

  it('leaves the receipt of an accepted submission without a refusal', () => {
    expect(decisionsOf(plan().receipt!.envelope)).toMatchObject({ refusedRule: '', refusedReason: '' });
  });

  it("removes no inbox copy when a recall is refused, whoever's copies they are", () => {
    const p = plan(recallOf({ sender: 'cp-it' }), { item });
    expect(p.refusal?.rule).toBe('POLICY.NOT_ORIGINATOR');
    expect(p.deliveries).toEqual([]);
    expect(p.deleteCopies).toEqual([]);
    expect(p.ledger).toEqual({});
  });
});

describe('selectors of restricted intelligence', () => {
  const withSelectors = (over: MessageInitShape<typeof EnvelopeSchema> = {}) =>
    envelope({
      recipients: ['cp-it'],
      payload: {
        case: 'routeReport',
        value: create(RouteReportSchema, {
          narrative: 'Bookings on +218 91 234 5678; payments into IT60X0542811101000000123456.',
        }),
      },
      ...over,
    });

  it('looks up the selectors of a new item, and of nothing else; a forward is checked by its payload', () => {
    expect(factsNeeded(withSelectors())).toMatchObject({
      selectors: selectorsOf(withSelectors()),
      checkSamePayload: true,
    });
    expect(factsNeeded(withSelectors()).selectors).toHaveLength(2);
    expect(factsNeeded(withSelectors({ consentRef: 'd1' }))).toMatchObject({
      selectors: [],
      checkSamePayload: true,
    });
    const request = envelope({
      payload: { case: 'shareRequest', value: create(ShareRequestSchema, { messageId: ID }) },
    });
    expect(factsNeeded(request)).toMatchObject({ selectors: [], checkSamePayload: false });
  });

  it('indexes an item that needs consent by its selector digests, before delivery', () => {
    const env = withSelectors({ handlingCode: HandlingCode.H2, tlp: Tlp.GREEN });
    const { ledger } = plan(env, { selectors: selectorsOf(env) });
    expect(ledger.selectorIndex).toEqual({
      selectors: selectorsOf(env),
      messageId: ID,
      originator: 'emlo-ne',
    });
    expect(ledger.item?.selectors).toEqual(selectorsOf(env));
    expect(ledger.item?.borrowedSelectors).toBeUndefined();
    // Digests only: nothing the ledger keeps spells a selector in clear.
    expect(JSON.stringify(ledger)).not.toMatch(/218912345678|IT60X054/);
  });

  it('does not index intelligence that may be passed on freely, or an item delivered to no one', () => {
    const open = withSelectors({ handlingCode: HandlingCode.H1, tlp: Tlp.GREEN });
    expect(plan(open).ledger.selectorIndex).toBeUndefined();
    expect(plan(open).ledger.item?.selectors).toBeUndefined();
    const expired = withSelectors({ handlingCode: HandlingCode.H2, expiresAt: timestampFromMs(NOW - 1) });
    expect(plan(expired).ledger).toEqual({});
  });

  /** emlo-ne's H2 AMBER original, held by cp-it and jot-mare, indexed by its selectors. */
  const original = withSelectors({ handlingCode: HandlingCode.H2 });
  const restricted = { ...item, handlingCode: HandlingCode.H2, selectors: selectorsOf(original) };
  /** cp-it's rewording of it as its own item, with the given handling and recipients. */
  const rewording = (over: MessageInitShape<typeof EnvelopeSchema>) =>
    withSelectors({
      id: '0193a1b2-0000-7000-8000-0000000000c1',
      sender: 'cp-it',
      author: 'cp-it.analyst-2',
      payload: {
        case: 'routeReport',
        value: create(RouteReportSchema, {
          narrative: 'Pay into IT60 X054 2811 1010 0000 0123 456, book on +218912345678.',
        }),
      },
      ...over,
    });
  const outcomes = (p: RoutingPlan) => p.decisions.map((d) => [d.recipient, d.outcome, d.rule]);

  it("withholds a recipient's reworded H0 GREEN copy from everyone and remembers nothing of it", () => {
    const copy = rewording({
      handlingCode: HandlingCode.H0,
      tlp: Tlp.GREEN,
      recipients: ['cp-gr', 'jot-mare'],
    });
    const p = plan(copy, { selectors: selectorsOf(copy), selectorItems: [restricted] });
    // Decided per recipient: not refused as a whole, and withheld from each under the same code.
    expect(p.refusal).toBeUndefined();
    expect(outcomes(p)).toEqual([
      ['afic', 'withheld', NEEDS_CONSENT],
      ['afic-partner-sn', 'withheld', 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE'],
      ['cp-gr', 'withheld', NEEDS_CONSENT],
      // A holder, but not with weaker handling than the original's.
      ['jot-mare', 'withheld', NEEDS_CONSENT],
    ]);
    for (const d of p.decisions.filter((d) => d.rule === NEEDS_CONSENT)) expect(d.reason).toContain(ID);
    expect(p.deliveries).toEqual([]);
    expect(p.ledger).toEqual({});
    expect(p.auditEvents.map((e) => [e.operation, e.counterpartNode, e.rule])).toEqual([
      [AuditOperation.SUBMITTED, '', ''],
      ...outcomes(p).map(([node, , rule]) => [AuditOperation.WITHHELD, node, rule]),
    ]);
  });

  it('delivers a corroboration with the original handling to the holders only, and keeps it as an item', () => {
    const copy = rewording({
      handlingCode: HandlingCode.H2,
      tlp: Tlp.AMBER,
      recipients: ['cp-gr', 'emlo-ne', 'jot-mare'],
    });
    const p = plan(copy, { selectors: selectorsOf(copy), selectorItems: [restricted] });
    expect(p.refusal).toBeUndefined();
    expect(outcomes(p)).toEqual([
      ['afic', 'withheld', NEEDS_CONSENT],
      ['afic-partner-sn', 'withheld', 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE'],
      ['cp-gr', 'withheld', NEEDS_CONSENT],
      ['emlo-ne', 'delivered', 'POLICY.ALLOWED'],
      ['jot-mare', 'delivered', 'POLICY.ALLOWED'],
    ]);
    expect(p.deliveries.map((d) => d.node)).toEqual(['emlo-ne', 'jot-mare']);
    expect(
      p.auditEvents.filter((e) => e.operation === AuditOperation.DELIVERED).map((e) => e.counterpartNode),
    ).toEqual(['emlo-ne', 'jot-mare']);
    // An item of cp-it's own, restricted in its turn: a rewording of it is recognised as well.
    expect(p.ledger.item).toMatchObject({
      messageId: copy.id,
      originator: 'cp-it',
      recipients: ['emlo-ne', 'jot-mare'],
      selectors: selectorsOf(copy),
      // What it took from emlo-ne stays emlo-ne's: it never counts against emlo-ne's own later items.
      borrowedSelectors: { 'emlo-ne': [...selectorsOf(original)].sort() },
    });
    expect(p.ledger.selectorIndex).toEqual({
      selectors: selectorsOf(copy),
      messageId: copy.id,
      originator: 'cp-it',
    });
  });
});

describe('control messages belong to the trail of the item they concern', () => {
  const detailOf = (e: { detailJson: string }) => JSON.parse(e.detailJson) as Record<string, unknown>;
  const control = (sender: string, payload: MessageInitShape<typeof EnvelopeSchema>['payload']) =>
    envelope({ id: '0193a1b2-0000-7000-8000-0000000000d1', sender, recipients: ['emlo-ne'], payload });
  const request = { requestId: 'r1', messageId: ID, requester: 'cp-it', proposedRecipients: ['cp-gr'] };
  const consent = {
    decisionId: 'd1',
    messageId: ID,
    originator: 'emlo-ne',
    requester: 'cp-it',
    granted: true,
    grantedRecipients: ['cp-gr'],
  };
  const cases: [string, Envelope, Partial<PolicyFacts>][] = [
    [
      'an acknowledgement',
      control('cp-it', { case: 'acknowledgement', value: create(AcknowledgementSchema, { messageId: ID }) }),
      { item },
    ],
    [
      'a share request',
      control('cp-it', {
        case: 'shareRequest',
        value: create(ShareRequestSchema, { messageId: ID, proposedRecipients: ['cp-gr'] }),
      }),
      { item },
    ],
    [
      'a share decision',
      {
        ...control('emlo-ne', {
          case: 'shareDecision',
          value: create(ShareDecisionSchema, {
            requestId: 'r1',
            messageId: ID,
            granted: true,
            grantedRecipients: ['cp-gr'],
          }),
        }),
        recipients: ['cp-it'],
      },
      { item, request },
    ],
    ['a recall', recallOf(), { item }],
    [
      'an erasure receipt',
      control('jot-mare', {
        case: 'erasureReceipt',
        value: create(ErasureReceiptSchema, { messageId: ID, recallId: recallOf().id }),
      }),
      { item },
    ],
    [
      'a forwarded copy',
      envelope({
        id: '0193a1b2-0000-7000-8000-0000000000b3',
        sender: 'cp-it',
        recipients: ['cp-gr'],
        consentRef: 'd1',
      }),
      { item, consent },
    ],
  ];

  it.each(cases)('names the item on every row of %s: submitted and each decision', (_, env, over) => {
    const p = plan(env, over);
    expect(p.refusal).toBeUndefined();
    expect(p.deliveries.length).toBeGreaterThan(0);
    expect(p.auditEvents.length).toBe(1 + p.decisions.length);
    for (const e of p.auditEvents) expect(detailOf(e)).toMatchObject({ concerns: ID });
  });

  it('names the item on every row of a refused control message: submitted, rejected and withheld', () => {
    const p = plan(recallOf({ sender: 'cp-it' }), { item });
    expect(p.auditEvents.map((e) => e.operation)).toEqual([
      AuditOperation.SUBMITTED,
      AuditOperation.REJECTED,
      AuditOperation.WITHHELD,
    ]);
    for (const e of p.auditEvents) expect(detailOf(e)).toMatchObject({ concerns: ID });
    // Refused because the item is unknown: the id it claims to concern is still named, to be found by it.
    const unknown = plan(cases[1][1]);
    expect(unknown.refusal?.rule).toBe('POLICY.ITEM_UNKNOWN');
    for (const e of unknown.auditEvents) expect(detailOf(e)).toMatchObject({ concerns: ID });
  });

  it('names the forwarded item and the consent on every row of a forward, and what a refused one copies', () => {
    const fwd = cases[5][1];
    const p = plan(fwd, { item, consent });
    const forwarded = p.auditEvents.filter((e) => e.operation === AuditOperation.FORWARDED);
    expect(forwarded.map((e) => detailOf(e))).toEqual([
      { reason: 'forwarded under consent d1', concerns: ID, consentRef: 'd1' },
    ]);
    // No such consent: the copy is refused, and belongs to the trail of the item it copies byte for byte.
    const refused = plan(fwd, { samePayload: item });
    expect(refused.refusal?.rule).toBe('POLICY.FORWARD_CONSENT_INVALID');
    expect(refused.auditEvents.length).toBe(3);
    for (const e of refused.auditEvents) expect(detailOf(e)).toMatchObject({ concerns: ID });
  });

  it('names no other item on the rows of intelligence', () => {
    for (const e of plan().auditEvents) expect(detailOf(e)).not.toHaveProperty('concerns');
  });
});

describe('what a submission claims and how it is audited', () => {
  const detailOf = (e: { detailJson: string }) => JSON.parse(e.detailJson) as Record<string, unknown>;

  it('claims the id for the node that published it, for the exact bytes received, at its submit sequence', () => {
    const s = { envelope: envelope(), bytes, publisher: 'emlo-ne', submitSeq: SEQ, correlationId: 'c1' };
    expect(idClaimFor(s, NOW)).toEqual({
      messageId: ID,
      originator: 'emlo-ne',
      sha256: sha256Hex(bytes),
      submitSeq: SEQ,
      firstSeenAtMs: NOW,
    });
  });

  it('names the claimed sender and the publishing node when it refuses an envelope published by another', () => {
    const env = envelope({ sender: 'cp-it' });
    expect(() =>
      planRouting(
        { envelope: env, bytes, publisher: 'emlo-ne', submitSeq: SEQ, correlationId: '' },
        directory,
        facts(env),
        keys,
      ),
    ).toThrow(expect.objectContaining({ message: expect.stringMatching(/cp-it[^]*emlo-ne/) }));
  });

  it('names the message type on every audit row', () => {
    const p = plan(envelope({ tlp: Tlp.RED, recipients: ['cp-it'] }));
    expect(p.auditEvents.length).toBe(5);
    for (const e of p.auditEvents) expect(e.messageType).toBe('routeReport');
  });

  it('refuses an envelope without payload, delivers it to no one, and audits it with no message type', () => {
    const p = plan(envelope({ recipients: ['cp-it'], payload: { case: undefined } }));
    expect(p.refusal?.rule).toBe('POLICY.TYPE_NOT_PERMITTED');
    expect(p.deliveries).toEqual([]);
    expect(p.ledger).toEqual({});
    expect(p.auditEvents.length).toBeGreaterThan(1);
    for (const e of p.auditEvents) expect(e.messageType).toBe('');
  });

  it("records the submit sequence on the submission's row, so two submissions under one id are told apart", () => {
    expect(detailOf(plan().auditEvents[0])).toMatchObject({ submitSeq: SEQ });
    expect(detailOf(plan(envelope(), {}, SEQ + 1).auditEvents[0])).toMatchObject({ submitSeq: SEQ + 1 });
  });

  it('keeps the ids of its audit rows, receipt and expiry recall from one router version to the next', () => {
    // A redelivery that spans a router upgrade must still be deduplicated: these ids are stored by the
    // audit service and the broker, so the values themselves must never change.
    const der = Buffer.from(`302e020100300506032b657004220420${'4d'.repeat(32)}`, 'hex');
    const fixedKeys = routerKeysFrom(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
    const env = envelope({ expiresAt: timestampFromMs(NOW - 1) });
    const p = planRouting(
      { envelope: env, bytes, publisher: 'emlo-ne', submitSeq: SEQ, correlationId: 'c1' },
      directory,
      facts(env),
      fixedKeys,
    );
    expect(p.refusal?.rule).toBe('POLICY.EXPIRED');
    expect(p.auditEvents.slice(0, 2).map((e) => [e.operation, e.eventId])).toEqual([
      [AuditOperation.SUBMITTED, '96953bcf-e49d-5f67-8ffb-6e2d703f183b'],
      [AuditOperation.REJECTED, '5e3da5e1-4ccc-5ddc-b609-9a7fedbb7c34'],
    ]);
    expect(p.auditMsgID).toBe('821712f7-46c4-5eeb-b228-d61b5b6e2c13');
    expect(p.receipt!.envelope.id).toBe('e5cf038b-d0f7-8c47-827d-f0ef9b29f199');
    expect(expiryRecallFor(item, NOW, fixedKeys).id).toBe('681d71f5-178e-829b-842f-74d5e7533825');
  });
});

describe('what the router writes itself', () => {
  const contractViolations = (env: Envelope) =>
    validateEnvelopeJson(toJson(EnvelopeSchema, env), { now: new Date(NOW) });

  it("puts the receipt in the submission's thread, or starts the thread at the submission", () => {
    expect(plan().receipt!.envelope.threadId).toBe(ID);
    const thread = '0193a1b2-0000-7000-8000-0000000000e1';
    expect(plan(envelope({ threadId: thread })).receipt!.envelope.threadId).toBe(thread);
  });

  it('writes receipts that meet the contract of every envelope, releasable within the EU only', () => {
    const receipt = plan().receipt!.envelope;
    expect(contractViolations(receipt)).toEqual([]);
    expect(receipt.releasability?.scope).toBe(ReleasabilityScope.EU_ONLY);
  });
});

describe('only intelligence becomes an item, and only a recall removes copies', () => {
  const other = '0193a1b2-0000-7000-8000-0000000000f1';
  const control = (
    sender: string,
    recipients: string[],
    payload: MessageInitShape<typeof EnvelopeSchema>['payload'],
  ) => envelope({ id: other, sender, author: `${sender}.officer-1`, recipients, payload });
  const cases: [string, Envelope, Partial<PolicyFacts>][] = [
    [
      'an acknowledgement',
      control('cp-it', ['emlo-ne'], {
        case: 'acknowledgement',
        value: create(AcknowledgementSchema, { messageId: ID }),
      }),
      { item },
    ],
    [
      'an erasure receipt',
      control('jot-mare', [], {
        case: 'erasureReceipt',
        value: create(ErasureReceiptSchema, { messageId: ID, recallId: recallOf().id }),
      }),
      { item },
    ],
    [
      'a cross-check request',
      control('cp-it', ['jot-mare'], {
        case: 'crossCheckRequest',
        value: create(CrossCheckRequestSchema, { purpose: 'check against holdings' }),
      }),
      {},
    ],
    [
      'a hit notice',
      control('jot-mare', ['cp-it'], {
        case: 'hitNotice',
        value: create(HitNoticeSchema, { requestId: '0193a1b2-0000-7000-8000-0000000000f2' }),
      }),
      {},
    ],
    [
      "the router's delivery receipt",
      control(ROUTER_NODE, ['emlo-ne'], {
        case: 'deliveryReceipt',
        value: create(DeliveryReceiptSchema, { messageId: ID }),
      }),
      {},
    ],
  ];

  it.each(cases)('remembers %s as no item of the exchange, and removes no copy', (_, env, over) => {
    const p = planRouting(
      {
        envelope: env,
        bytes,
        publisher: env.sender,
        submitSeq: env.sender === ROUTER_NODE ? 0 : SEQ,
        correlationId: '',
      },
      directory,
      facts(env, over),
      keys,
    );
    expect(p.refusal).toBeUndefined();
    expect(p.deliveries.length).toBeGreaterThan(0);
    expect(p.ledger).toEqual({});
    expect(p.deleteCopies).toEqual([]);
  });

  it('removes no inbox copy of the item it forwards', () => {
    const fwd = envelope({ id: other, sender: 'cp-it', recipients: ['cp-gr'], consentRef: 'd1' });
    const consent = {
      decisionId: 'd1',
      messageId: ID,
      originator: 'emlo-ne',
      requester: 'cp-it',
      granted: true,
      grantedRecipients: ['cp-gr'],
    };
    const p = plan(fwd, { item, consent });
    expect(p.deliveries.map((d) => d.node)).toEqual(['cp-gr']);
    expect(p.deleteCopies).toEqual([]);
  });

  it('refuses a forward that cites no registered consent and copies nothing known, naming no item', () => {
    const fwd = envelope({ id: other, sender: 'cp-it', recipients: ['cp-gr'], consentRef: 'd9' });
    const p = plan(fwd);
    expect(p.refusal?.rule).toBe('POLICY.FORWARD_CONSENT_INVALID');
    expect(p.deliveries).toEqual([]);
    for (const e of p.auditEvents) expect(JSON.parse(e.detailJson)).not.toHaveProperty('concerns');
  });
});

describe('share decisions', () => {
  const requestId = '0193a1b2-0000-7000-8000-0000000000b1';
  const decision = (granted: boolean) =>
    envelope({
      id: '0193a1b2-0000-7000-8000-0000000000b2',
      recipients: ['cp-it'],
      payload: {
        case: 'shareDecision',
        value: create(ShareDecisionSchema, {
          requestId,
          messageId: ID,
          granted,
          reason: granted ? '' : 'source protection',
          grantedRecipients: ['cp-gr'],
        }),
      },
    });

  it('looks up the share request a decision answers; a hit notice answers a cross-check, not a share request', () => {
    expect(factsNeeded(decision(true)).requestId).toBe(requestId);
    const hit = envelope({
      sender: 'jot-mare',
      payload: { case: 'hitNotice', value: create(HitNoticeSchema, { requestId }) },
    });
    expect(factsNeeded(hit).requestId).toBeUndefined();
  });

  it('remembers a refusal as consent to no one, whatever recipients it lists', () => {
    const p = plan(decision(false), {
      item,
      request: { requestId, messageId: ID, requester: 'cp-it', proposedRecipients: ['cp-gr'] },
    });
    expect(p.deliveries.map((d) => d.node)).toEqual(['cp-it']);
    expect(p.ledger.consent).toMatchObject({ granted: false, grantedRecipients: [] });
  });
});
