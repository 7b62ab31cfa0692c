import { generateKeyPairSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encodeEnvelope, envelopeFromJson, uuidv7, type Envelope, type EnvelopeJson } from '#contracts';
import { connectBus, provisionBus, type Bus } from '#messaging';
import {
  asJson,
  startNatsServer,
  testDirectory,
  validDebriefingReportEnvelope,
  validRecallEnvelope,
  validRouteReportEnvelope,
  validShareDecisionEnvelope,
  validShareRequestEnvelope,
  type TestNatsServer,
} from '#testing';
import { ExpiryIndex } from '../ledger/expiry-index.js';
import { JetStreamLedger } from '../ledger/jetstream-ledger.js';
import type { LedgerItem } from '../ledger/ledger.js';
import { routerKeysFrom } from '../vouch-deliveries/router-keys.js';
import type { RoutingPlan } from './route-message.handler.js';
import { RouteMessageService } from './route-message.service.js';

/**
 * Submissions about one item routed at the same time, as the consumer routes them, against the router's
 * service on a private nats-server: a consented forward and the originator's recall, and two forwards under
 * two consents. Each must plan from the item as the other left it: the recall reaches whoever the forward
 * reached, and the ledger keeps every recipient and the recall.
 */
const ORIGINATOR = 'emlo-ne';
const directory = testDirectory();

/** How late the ledger answers an item read: long enough for both submissions to read before either writes. */
const READ_DELAY_MS = 100;

/** A ledger far away: it answers an item read with the item as it stood when asked, {@link READ_DELAY_MS} later. */
class SlowLedger extends JetStreamLedger {
  /** Told of every item read as it starts. */
  onRead?: (messageId: string) => void;

  override async item(messageId: string): Promise<LedgerItem | undefined> {
    this.onRead?.(messageId);
    const item = await super.item(messageId);
    await sleep(READ_DELAY_MS);
    return item;
  }
}

describe('submissions about one item, routed at the same time', () => {
  let nats: TestNatsServer;
  let bus: Bus;
  let ledger: SlowLedger;
  let service: RouteMessageService;
  let submitSeq = 0;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'item-races-test' });
    await provisionBus(bus.jsm, directory.nodeIds());
    ledger = new SlowLedger(bus);
    service = new RouteMessageService(
      bus,
      directory,
      ledger,
      new ExpiryIndex(),
      routerKeysFrom(generateKeyPairSync('ed25519').privateKey),
    );
  });

  afterAll(async () => {
    await bus?.close();
    await nats?.dispose();
  });

  /** Routes an envelope as its sender's submission, each at its own submit sequence. */
  function route(json: EnvelopeJson): Promise<RoutingPlan> {
    const envelope: Envelope = envelopeFromJson(asJson(json));
    return service.route({
      envelope,
      bytes: encodeEnvelope(envelope),
      publisher: envelope.sender,
      submitSeq: ++submitSeq,
      correlationId: `item-races-${submitSeq}`,
    });
  }

  const fresh = () => ({ id: uuidv7(), createdAt: new Date().toISOString() });
  const deliveredTo = (plan: RoutingPlan) => plan.deliveries.map((d) => d.node).sort();
  /** The item as a router that starts now reads it from the ledger stream. */
  const stored = (messageId: string) => new JetStreamLedger(bus).item(messageId);

  /** The originator's H2 item for the EU only, routed; returns it with the nodes that received it. */
  async function original(json: EnvelopeJson): Promise<{ item: EnvelopeJson; holders: string[] }> {
    const item: EnvelopeJson = {
      ...json,
      handlingCode: 'HANDLING_CODE_H2',
      releasability: { scope: 'RELEASABILITY_SCOPE_EU_ONLY' },
    };
    const plan = await route(item);
    expect(plan.refusal).toBeUndefined();
    return { item, holders: deliveredTo(plan) };
  }

  /** `requester` asks to share the item with `to`, and the originator grants it; returns the consent's id. */
  async function consentFor(item: EnvelopeJson, requester: string, to: string): Promise<string> {
    const request = fresh().id;
    expect(
      deliveredTo(
        await route(
          validShareRequestEnvelope({
            ...fresh(),
            id: request,
            sender: requester,
            author: `${requester}.analyst-5`,
            threadId: item.id,
            inReplyTo: item.id,
            shareRequest: { messageId: item.id, proposedRecipients: [to], justification: 'Same network.' },
          }),
        ),
      ),
    ).toEqual([ORIGINATOR]);
    const decision = fresh().id;
    expect(
      deliveredTo(
        await route(
          validShareDecisionEnvelope({
            ...fresh(),
            id: decision,
            threadId: item.id,
            inReplyTo: request,
            shareDecision: {
              requestId: request,
              messageId: item.id,
              granted: true,
              reason: 'Concerned.',
              grantedRecipients: [to],
              validUntil: new Date(Date.now() + 86_400_000).toISOString(),
            },
          }),
        ),
      ),
    ).toEqual([requester]);
    return decision;
  }

  /** `sender`'s copy of the item, forwarded to `to` under the consent. */
  const forward = (item: EnvelopeJson, sender: string, to: string, consentRef: string): EnvelopeJson => ({
    ...item,
    ...fresh(),
    sender,
    author: `${sender}.analyst-5`,
    recipients: [to],
    consentRef,
  });

  it('recalls the item from the holder that a consented forward reached at the same time', async () => {
    const { item, holders } = await original(
      validRouteReportEnvelope({ ...fresh(), sender: ORIGINATOR, recipients: ['cp-it'] }),
    );
    expect(holders).toContain('cp-it');
    expect(holders).not.toContain('cp-gr');
    const consent = await consentFor(item, 'cp-it', 'cp-gr');
    const recall = validRecallEnvelope({
      ...fresh(),
      threadId: item.id,
      inReplyTo: item.id,
      recipients: [],
      recall: {
        messageId: item.id,
        reason: 'RECALL_REASON_INACCURATE',
        explanation: 'Wrong departure area.',
      },
    });

    // The recall comes in while the forward reads the item it forwards: the forward reads it twice, as the
    // item with its payload and as the item its consent names; the second read is the one it plans from.
    let reads = 0;
    const forwardPlans = new Promise<void>((resolve) => {
      ledger.onRead = (id) => {
        if (id === item.id && ++reads === 2) resolve();
      };
    });
    const forwarding = route(forward(item, 'cp-it', 'cp-gr', consent));
    await forwardPlans;
    ledger.onRead = undefined;
    const [forwarded, recalled] = await Promise.all([forwarding, route(recall)]);

    const forwardedTo = deliveredTo(forwarded);
    expect(forwardedTo).toEqual(['cp-gr']);
    // Whoever the forward reached, the recall reaches too.
    expect(deliveredTo(recalled)).toEqual(expect.arrayContaining([...holders, ...forwardedTo]));
    const after = await stored(item.id);
    expect(after?.recalled).toBe(true);
    expect(after?.recipients).toEqual(expect.arrayContaining([...holders, ...forwardedTo]));
  });

  it('keeps the recipients of two forwards under two consents routed at the same time', async () => {
    const { item, holders } = await original(
      validDebriefingReportEnvelope({ ...fresh(), sender: ORIGINATOR, recipients: ['cp-it'] }),
    );
    expect(holders).toEqual(['cp-it', 'jot-mare']);
    const toGreece = await consentFor(item, 'cp-it', 'cp-gr');
    const toAfic = await consentFor(item, 'jot-mare', 'afic');

    const [first, second] = await Promise.all([
      route(forward(item, 'cp-it', 'cp-gr', toGreece)),
      route(forward(item, 'jot-mare', 'afic', toAfic)),
    ]);

    expect(deliveredTo(first)).toEqual(['cp-gr']);
    expect(deliveredTo(second)).toEqual(['afic']);
    expect((await stored(item.id))?.recipients.sort()).toEqual(['afic', 'cp-gr', 'cp-it', 'jot-mare']);
  });
});
