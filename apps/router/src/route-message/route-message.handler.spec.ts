import { describe, expect, it } from '@jest/globals';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  AuditOperation,
  decodeEnvelope,
  DecisionOutcome,
  encodeEnvelope,
  EnvelopeSchema,
  HandlingCode,
  RecallReason,
  RecallSchema,
  RouteReportSchema,
  sha256Hex,
  ShareDecisionSchema,
  ShareRequestSchema,
  SmugglingRoute,
  Tlp,
  toBinaryPayload,
} from '#contracts';
import type { PolicyFacts } from '#policy';
import { testDirectory } from '#testing';
import type { LedgerItem } from '../ledger/ledger.js';
import {
  expiryRecallFor,
  factsNeeded,
  planRouting,
  publisherOf,
  ROUTER_NODE,
} from './route-message.handler.js';

const directory = testDirectory();
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
const facts = (env: ReturnType<typeof envelope>, over: Partial<PolicyFacts> = {}): PolicyFacts => ({
  nowMs: NOW,
  payloadSha256: factsNeeded(env).payloadSha256,
  ...over,
});
const plan = (env = envelope(), over: Partial<PolicyFacts> = {}) =>
  planRouting(
    { envelope: env, bytes, publisher: env.sender, correlationId: 'c1' },
    directory,
    facts(env, over),
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
  it('reads the publisher from the submit subject', () => {
    expect(publisherOf('msx.submit.emlo-ne')).toBe('emlo-ne');
  });

  it('delivers the original bytes to each allowed recipient under a deterministic id', () => {
    expect(plan().deliveries).toEqual([
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
      planRouting({ envelope: env, bytes, publisher: 'emlo-ne', correlationId: '' }, directory, facts(env)),
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
    const recall = expiryRecallFor(item, NOW);
    const decoded = decodeEnvelope(encodeEnvelope(recall));
    expect(decoded.sender).toBe(ROUTER_NODE);
    expect(decoded.recipients).toEqual(['cp-it', 'jot-mare']);
    expect(decoded.payload).toMatchObject({
      case: 'recall',
      value: { messageId: ID, reason: RecallReason.EXPIRED },
    });
    const p = planRouting(
      { envelope: recall, bytes, publisher: ROUTER_NODE, correlationId: '' },
      directory,
      facts(recall, { item }),
    );
    expect(p.deliveries.map((d) => d.node)).toEqual(['cp-it', 'jot-mare']);
    expect(p.receipt).toBeUndefined();
  });
});
