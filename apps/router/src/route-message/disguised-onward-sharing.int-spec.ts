import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AuditOperation,
  DecisionOutcome,
  decodeAuditEvent,
  decodeAuditEventBatch,
  decodeEnvelope,
  encodeEnvelope,
  envelopeFromJson,
  uuidv7,
  type AuditEvent,
  type DeliveryReceipt,
  type Envelope,
  type EnvelopeJson,
} from '#contracts';
import {
  connectBus,
  Durables,
  Headers,
  provisionBus,
  publishDurably,
  Streams,
  Subjects,
  type Bus,
} from '#messaging';
import type { AuditGate } from '#runtime';
import {
  startNatsServer,
  testDirectory,
  waitFor,
  type TestNatsServer,
  asJson,
  validDebriefingReportEnvelope,
} from '#testing';
import { ExpiryIndex } from '../ledger/expiry-index.js';
import { JetStreamLedger } from '../ledger/jetstream-ledger.js';
import { routerKeysFrom } from '../vouch-deliveries/router-keys.js';
import { RouteMessageConsumer } from './route-message.consumer.js';
import { RouteMessageService } from './route-message.service.js';

/**
 * Onward sharing in disguise, against the router's consumer on a private nats-server: the originator's H2
 * debriefing reaches cp-it and jot-mare and is refused to a third-country partner; cp-it rewords it around
 * the same selectors and publishes it as its own item to every party. Decided per recipient, also after a
 * restart: an H0 GREEN copy reaches no one (holders would get weaker handling, the others do not hold the
 * original); a corroboration with the original's handling reaches the holders and no one else.
 */
const ORIGINATOR = 'emlo-ne';
const RECIPIENT = 'cp-it';
/** Mali: no agreement, so it is refused the original. */
const REFUSED = 'afic-partner-ml';
const directory = testDirectory();
const routerKey = generateKeyPairSync('ed25519').privateKey;

const PHONE = '+218912345678';
const IBAN = 'IT60X0542811101000000123456';
const IMO = '9074729';

/** A debriefing by `sender` with the given narrative and selectors. */
function debriefing(
  sender: string,
  over: Partial<EnvelopeJson>,
  narrative: string,
  selectors: Record<string, string[]>,
): Envelope {
  const id = uuidv7();
  const base = validDebriefingReportEnvelope();
  return envelopeFromJson(
    asJson({
      ...base,
      id,
      threadId: id,
      sender,
      author: `${sender}.officer-1`,
      createdAt: new Date().toISOString(),
      ...over,
      debriefingReport: { ...base.debriefingReport!, narrative, selectors },
    }),
  );
}

const everyoneBut = (node: string) => directory.nodeIds().filter((n) => n !== node);

describe('disguised onward sharing is recognised by its selectors', () => {
  let nats: TestNatsServer;
  let bus: Bus;
  let router: RouteMessageConsumer;

  const startRouter = async () => {
    // The audit gate is beside the point here: it is always open.
    const openGate = { check: () => undefined } as unknown as AuditGate;
    router = new RouteMessageConsumer(
      bus,
      new RouteMessageService(
        bus,
        directory,
        new JetStreamLedger(bus),
        new ExpiryIndex(),
        routerKeysFrom(routerKey),
      ),
      openGate,
    );
    await router.onApplicationBootstrap();
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'disguised-onward-sharing-test' });
    await provisionBus(bus.jsm, directory.nodeIds());
    await startRouter();
  });

  afterAll(async () => {
    await router?.onApplicationShutdown();
    await bus?.close();
    await nats?.dispose();
  });

  async function submit(envelope: Envelope): Promise<void> {
    const ack = await publishDurably(bus.js, Subjects.submit(envelope.sender), encodeEnvelope(envelope), {
      msgID: envelope.id,
    });
    expect(ack.duplicate).toBe(false);
  }

  /** Every envelope in a node's inbox stream. */
  async function inbox(node: string): Promise<Envelope[]> {
    const stream = Streams.inbox(node);
    const { state } = await bus.jsm.streams.info(stream);
    const out: Envelope[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m) out.push(decodeEnvelope(m.data));
    }
    return out;
  }

  /** The router's receipt to `node` about `messageId`, once there. */
  async function receipt(node: string, messageId: string): Promise<DeliveryReceipt> {
    return waitFor(async () => {
      for (const e of await inbox(node)) {
        const p = e.payload;
        if (p.case === 'deliveryReceipt' && p.value.messageId === messageId) return p.value;
      }
      return undefined;
    }, `${node}'s receipt for ${messageId}`);
  }

  /** Resolves once the router has routed and acknowledged everything submitted so far. */
  async function routed(): Promise<void> {
    await waitFor(async () => {
      const info = await bus.jsm.consumers.info(Streams.submit, Durables.router);
      return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    }, 'the router to finish');
  }

  /** The nodes whose inbox holds `messageId`. */
  async function holders(messageId: string): Promise<string[]> {
    const out: string[] = [];
    for (const node of directory.nodeIds())
      if ((await inbox(node)).some((e) => e.id === messageId)) out.push(node);
    return out;
  }

  async function auditEvents(messageId: string): Promise<AuditEvent[]> {
    const { state } = await bus.jsm.streams.info(Streams.audit);
    const events: AuditEvent[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await bus.jsm.streams.getMessage(Streams.audit, { seq });
      if (!m || m.subject !== Subjects.audit('msx-router')) continue;
      if (m.header?.get(Headers.auditBatch)) events.push(...decodeAuditEventBatch(m.data));
      else events.push(decodeAuditEvent(m.data));
    }
    return events.filter((e) => e.messageId === messageId);
  }

  const selectors = { phoneNumbers: [PHONE], ibans: [IBAN], vesselImoNumbers: [IMO] };
  const original = debriefing(
    ORIGINATOR,
    { handlingCode: 'HANDLING_CODE_H2', tlp: 'TLP_AMBER', recipients: [RECIPIENT, 'jot-mare', REFUSED] },
    'Paid in two instalments through a hawala agent in Khartoum; held six weeks in Sabratha.',
    selectors,
  );
  /** The recipient's rewording, published as its own H0 GREEN item to everyone, third countries included. */
  const rewordedCopy = (narrative: string) =>
    debriefing(
      RECIPIENT,
      {
        handlingCode: 'HANDLING_CODE_H0',
        tlp: 'TLP_GREEN',
        recipients: everyoneBut(RECIPIENT),
        releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES', thirdCountries: ['NE', 'SN', 'ML'] },
      },
      narrative,
      selectors,
    );

  it("routes the originator's H2 item to its recipients and withholds it from a third-country partner", async () => {
    await submit(original);
    const r = await receipt(ORIGINATOR, original.id);
    expect(r.refusedRule).toBe('');
    expect(r.decisions.find((d) => d.recipient === REFUSED)?.outcome).toBe(DecisionOutcome.WITHHELD);
    await routed();
    expect(await holders(original.id)).toEqual(expect.arrayContaining([RECIPIENT, 'jot-mare']));
    expect(await holders(original.id)).not.toContain(REFUSED);
  });

  /** The original's holders besides the sender of a copy: its originator and its other recipient. */
  const HOLDERS = [ORIGINATOR, 'jot-mare'].sort();
  const NEEDS_CONSENT = 'POLICY.ONWARD_SHARING_NEEDS_CONSENT';

  /** The recipient's rewording at the original's handling, H2 AMBER, to everyone, third countries included. */
  const corroboration = (narrative: string) =>
    debriefing(
      RECIPIENT,
      {
        handlingCode: 'HANDLING_CODE_H2',
        tlp: 'TLP_AMBER',
        recipients: everyoneBut(RECIPIENT),
        releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES', thirdCountries: ['NE', 'SN', 'ML'] },
      },
      narrative,
      selectors,
    );

  /** Submits an H0 GREEN rewording: withheld from every party, from each holder as weaker handling. */
  async function expectReachesNoOne(copy: Envelope): Promise<void> {
    await submit(copy);
    const r = await receipt(RECIPIENT, copy.id);
    expect(r.refusedRule).toBe('');
    expect(r.decisions.map((d) => d.recipient).sort()).toEqual(everyoneBut(RECIPIENT).sort());
    for (const d of r.decisions) expect(d.outcome).toBe(DecisionOutcome.WITHHELD);
    const byRule = (node: string) => r.decisions.find((d) => d.recipient === node)!;
    for (const node of HOLDERS) {
      expect(byRule(node).rule).toBe(NEEDS_CONSENT);
      expect(byRule(node).reason).toContain(`of ${original.id} of ${ORIGINATOR} with weaker handling`);
    }
    // Parties that do not hold the original: withheld as onward sharing, unless an earlier rule already did.
    for (const node of ['afic', 'cp-gr', 'afic-partner-sn']) {
      expect(byRule(node).rule).toBe(NEEDS_CONSENT);
      expect(byRule(node).reason).toContain(
        `of ${original.id} of ${ORIGINATOR}, which ${node} does not hold`,
      );
    }
    await routed();
    expect(await holders(copy.id)).toEqual([]);
    const events = await auditEvents(copy.id);
    expect(events.filter((e) => e.operation === AuditOperation.REJECTED)).toEqual([]);
    const withheld = events.filter((e) => e.operation === AuditOperation.WITHHELD);
    expect(withheld.map((e) => e.counterpartNode).sort()).toEqual(everyoneBut(RECIPIENT).sort());
    expect(withheld.filter((e) => e.rule === NEEDS_CONSENT).length).toBeGreaterThanOrEqual(5);
  }

  /** Submits a corroboration at the original's handling: delivered to the holders, withheld from the rest. */
  async function expectReachesHoldersOnly(copy: Envelope): Promise<void> {
    await submit(copy);
    const r = await receipt(RECIPIENT, copy.id);
    expect(r.refusedRule).toBe('');
    const delivered = r.decisions.filter((d) => d.outcome === DecisionOutcome.DELIVERED);
    expect(delivered.map((d) => d.recipient).sort()).toEqual(HOLDERS);
    const withheld = r.decisions.filter((d) => d.outcome === DecisionOutcome.WITHHELD);
    expect(withheld.map((d) => d.recipient)).toContain(REFUSED);
    for (const node of ['afic', 'cp-gr', 'afic-partner-sn']) {
      const d = withheld.find((w) => w.recipient === node)!;
      expect(d.rule).toBe(NEEDS_CONSENT);
      expect(d.reason).toContain(`of ${original.id} of ${ORIGINATOR}, which ${node} does not hold`);
    }
    await routed();
    expect((await holders(copy.id)).sort()).toEqual(HOLDERS);
    const events = await auditEvents(copy.id);
    expect(
      events
        .filter((e) => e.operation === AuditOperation.DELIVERED)
        .map((e) => e.counterpartNode)
        .sort(),
    ).toEqual(HOLDERS);
  }

  it("withholds the recipient's reworded H0 GREEN copy from everyone, each decision audited", async () => {
    await expectReachesNoOne(
      rewordedCopy('Two payments via a Khartoum hawala broker; six weeks in a Sabratha warehouse.'),
    );
  });

  it("delivers the recipient's corroboration with the original's handling to the holders only", async () => {
    await expectReachesHoldersOnly(
      corroboration('Confirmed by our own source: paid twice through the Khartoum hawala; held in Sabratha.'),
    );
  });

  it('decides the same after the router restarts with an empty memory', async () => {
    await router.onApplicationShutdown();
    await startRouter();
    await expectReachesNoOne(
      rewordedCopy('Reworded once more after the restart, the same phone, account and vessel.'),
    );
    await expectReachesHoldersOnly(corroboration('A second source after the restart confirms the route.'));
  });

  it('routes an unrelated item of the recipient that shares one common selector', async () => {
    const unrelated = debriefing(
      RECIPIENT,
      { handlingCode: 'HANDLING_CODE_H0', tlp: 'TLP_GREEN', recipients: ['cp-gr', 'jot-mare'] },
      'Another journey, booked through the same widely used number.',
      { phoneNumbers: [PHONE], ibans: ['MT84MALT011000012345MTLCAST001S'] },
    );
    await submit(unrelated);
    expect((await receipt(RECIPIENT, unrelated.id)).refusedRule).toBe('');
    await routed();
    expect(await holders(unrelated.id)).toEqual(['cp-gr', 'jot-mare']);
  });

  it("routes the originator's own reworded item, although holders corroborated it with the same selectors", async () => {
    const own = debriefing(
      ORIGINATOR,
      { handlingCode: 'HANDLING_CODE_H0', tlp: 'TLP_GREEN', recipients: ['cp-gr'] },
      'A shorter version for wider use.',
      selectors,
    );
    await submit(own);
    const r = await receipt(ORIGINATOR, own.id);
    expect(r.refusedRule).toBe('');
    // cp-it's corroborations, which emlo-ne received, carry emlo-ne's own selectors: they do not count.
    expect(r.decisions.filter((d) => d.rule === NEEDS_CONSENT)).toEqual([]);
    await routed();
    expect(await holders(own.id)).toContain('cp-gr');
  });

  it('keeps no selector in clear in the ledger', async () => {
    const { state } = await bus.jsm.streams.info(Streams.ledger);
    const text: string[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const m = await bus.jsm.streams.getMessage(Streams.ledger, { seq }).catch(() => null);
      if (m) text.push(m.subject, new TextDecoder().decode(m.data));
    }
    expect(text.some((t) => t.startsWith('msx.ledger.selector.'))).toBe(true);
    for (const value of [PHONE, PHONE.slice(1), IBAN, IMO]) expect(text.join('\n')).not.toContain(value);
  });
});
