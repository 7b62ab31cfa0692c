import { describe, expect, it } from '@jest/globals';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  AuditOperation,
  DecisionOutcome,
  EnvelopeSchema,
  HandlingCode,
  RouteReportSchema,
  sha256Hex,
  SmugglingRoute,
  Tlp,
} from '#contracts';
import { parseDirectory } from '#directory';
import { planRouting, publisherOf, ROUTER_NODE } from './route-message.handler.js';

const directory = parseDirectory({
  parties: [
    {
      id: 'emlo-ne',
      kind: 'liaison-officer',
      name: 'EMLO Niamey',
      country: 'NE',
      clearance: 'H2',
      subscriptions: [],
    },
    {
      id: 'cp-it',
      kind: 'contact-point',
      name: 'CP Italy',
      country: 'IT',
      clearance: 'H3',
      subscriptions: ['intel.*.central-med'],
    },
    {
      id: 'jot-mare',
      kind: 'jot-mare',
      name: 'JOT MARE',
      country: 'NL',
      clearance: 'H3',
      subscriptions: ['intel.>'],
    },
  ],
});

const envelope = (over: MessageInitShape<typeof EnvelopeSchema> = {}) =>
  create(EnvelopeSchema, {
    id: '0193a1b2-0000-7000-8000-00000000000a',
    sender: 'emlo-ne',
    author: 'emlo-ne.officer-17',
    route: SmugglingRoute.CENTRAL_MEDITERRANEAN,
    handlingCode: HandlingCode.H1,
    tlp: Tlp.AMBER,
    payload: { case: 'routeReport', value: create(RouteReportSchema, { departureArea: 'Zuwara coast' }) },
    ...over,
  });

const bytes = new TextEncoder().encode('exact bytes received');

describe('planRouting', () => {
  it('reads the publisher from the submit subject', () => {
    expect(publisherOf('msx.submit.emlo-ne')).toBe('emlo-ne');
  });

  it('delivers the original bytes to each allowed recipient under a deterministic id', () => {
    const plan = planRouting(
      { envelope: envelope(), bytes, publisher: 'emlo-ne', correlationId: 'c1' },
      directory,
      0,
    );
    expect(plan.deliveries).toEqual([
      { node: 'cp-it', msgID: '0193a1b2-0000-7000-8000-00000000000a:cp-it' },
      { node: 'jot-mare', msgID: '0193a1b2-0000-7000-8000-00000000000a:jot-mare' },
    ]);
  });

  it('audits the submission and one decision per candidate, with the hash of the exact bytes', () => {
    const plan = planRouting(
      {
        envelope: envelope({ tlp: Tlp.RED, recipients: ['cp-it'] }),
        bytes,
        publisher: 'emlo-ne',
        correlationId: 'c1',
      },
      directory,
      0,
    );
    expect(plan.auditEvents.map((e) => [e.operation, e.counterpartNode, e.rule])).toEqual([
      [AuditOperation.SUBMITTED, '', ''],
      [AuditOperation.DELIVERED, 'cp-it', 'POLICY.ALLOWED'],
      [AuditOperation.WITHHELD, 'jot-mare', 'POLICY.TLP_RED_NAMED_ONLY'],
    ]);
    for (const e of plan.auditEvents) {
      expect(e.messageSha256).toBe(sha256Hex(bytes));
      expect(e.actorNode).toBe('emlo-ne');
      expect(e.correlationId).toBe('c1');
    }
    expect(new Set(plan.auditEvents.map((e) => e.eventId)).size).toBe(3);
  });

  it('gives the same event ids when the same submission is routed again', () => {
    const s = { envelope: envelope(), bytes, publisher: 'emlo-ne', correlationId: 'c1' };
    const ids = (p: ReturnType<typeof planRouting>) => p.auditEvents.map((e) => e.eventId);
    expect(ids(planRouting(s, directory, 0))).toEqual(ids(planRouting(s, directory, 5_000)));
  });

  it('sends the sender a receipt with every decision, under the item handling', () => {
    const plan = planRouting(
      {
        envelope: envelope({ tlp: Tlp.RED, recipients: ['cp-it'] }),
        bytes,
        publisher: 'emlo-ne',
        correlationId: '',
      },
      directory,
      0,
    );
    const receipt = plan.receipt.envelope;
    expect(receipt.sender).toBe(ROUTER_NODE);
    expect(receipt.recipients).toEqual(['emlo-ne']);
    expect(receipt.inReplyTo).toBe('0193a1b2-0000-7000-8000-00000000000a');
    expect(receipt.tlp).toBe(Tlp.RED);
    expect(receipt.payload.case).toBe('deliveryReceipt');
    const decisions = receipt.payload.case === 'deliveryReceipt' ? receipt.payload.value.decisions : [];
    expect(decisions.map((d) => [d.recipient, d.outcome, d.rule])).toEqual([
      ['cp-it', DecisionOutcome.DELIVERED, 'POLICY.ALLOWED'],
      ['jot-mare', DecisionOutcome.WITHHELD, 'POLICY.TLP_RED_NAMED_ONLY'],
    ]);
  });

  it('refuses an envelope whose sender is not the node that published it', () => {
    expect(() =>
      planRouting(
        { envelope: envelope({ sender: 'cp-it' }), bytes, publisher: 'emlo-ne', correlationId: '' },
        directory,
      ),
    ).toThrow(expect.objectContaining({ code: 'POLICY.SENDER_NOT_PUBLISHER', retryable: false }));
  });
});
