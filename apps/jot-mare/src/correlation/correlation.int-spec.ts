import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { generateKeyPairSync } from 'node:crypto';
import {
  AuditOperation,
  deliverySigner,
  envelopeFromJson,
  publicKeyDer,
  uuidv7,
  type Envelope,
  type EnvelopeJson,
} from '#contracts';
import { loadDirectory } from '#directory';
import { connectBus, provisionBus, Streams, type Bus } from '#messaging';
import {
  asJson,
  createTestSchema,
  deliverVouched,
  publishedAuditEvents,
  startNatsServer,
  submittedBy,
  validDebriefingReportEnvelope,
  validFinancialLeadEnvelope,
  validModusOperandiReportEnvelope,
  validRecallEnvelope,
  waitFor,
  type TestNatsServer,
  type TestSchema,
} from '#testing';
import { JotMareHandler } from '../jot-mare.handler.js';
import { startJotMareForTest } from '../jot-mare.test-app.js';
import { LINK_NEEDS_CONSENT } from './correlation.js';
import { SELECTOR_INDEX_ENTRY } from './selector-correlator.js';

const NODE = 'jot-mare';
const IBAN = 'IT60X0542811101000000123456';

/**
 * JOT MARE's correlation on real NATS and PostgreSQL: reports of different parties that carry one IBAN are
 * linked, each originator is told of the reports it may see and of no other, each link once across
 * redeliveries and restarts, and a recalled report leaves the index and links to nothing after.
 */
describe("JOT MARE's correlation of selectors", () => {
  let nats: TestNatsServer;
  let bus: Bus;
  let db: TestSchema;
  let app: INestApplicationContext | undefined;
  const routerKeys = generateKeyPairSync('ed25519');
  const router = deliverySigner(routerKeys.privateKey);
  const directory = loadDirectory('deploy/directory.yaml');

  const start = () =>
    startJotMareForTest({
      natsUrl: nats.url,
      routerPublicKey: publicKeyDer(routerKeys.publicKey),
      db,
      directory,
      handler: JotMareHandler,
    });

  beforeAll(async () => {
    [nats, db] = await Promise.all([startNatsServer(), createTestSchema('correlation')]);
    bus = await connectBus({ servers: nats.url, name: 'correlation-test' });
    await provisionBus(bus.jsm, [NODE]);
    app = await start();
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await nats?.dispose();
    await db?.drop();
  });

  const marking = (sender: string, overrides: Partial<EnvelopeJson>): Partial<EnvelopeJson> => ({
    id: uuidv7(),
    createdAt: new Date().toISOString(),
    sender,
    author: `${sender}.analyst-1`,
    recipients: [NODE],
    handlingCode: 'HANDLING_CODE_H1',
    tlp: 'TLP_GREEN',
    ...overrides,
  });
  /** A financial lead naming the one IBAN (the fixture's first account). */
  const lead = (sender: string, overrides: Partial<EnvelopeJson> = {}) => {
    const json = validFinancialLeadEnvelope(marking(sender, overrides));
    json.financialLead!.accounts = json.financialLead!.accounts!.slice(0, 1);
    return envelopeFromJson(asJson(json));
  };
  const debriefing = (sender: string) => {
    const json = validDebriefingReportEnvelope(marking(sender, {}));
    json.debriefingReport!.selectors = { ibans: [IBAN] };
    return envelopeFromJson(asJson(json));
  };

  /** A report that carries no selector. */
  const unlinked = (sender: string) =>
    envelopeFromJson(asJson(validModusOperandiReportEnvelope(marking(sender, {}))));

  const notices = async () => (await submittedBy(bus, NODE)).filter((e) => e.payload.case === 'hitNotice');
  /** The links each party was told of: `<party> <own report> -> <linked report>@<holder>`. */
  const told = async () =>
    (await notices())
      .flatMap((n) => {
        if (n.payload.case !== 'hitNotice') return [];
        const { requestId, matchingMessageIds, holders } = n.payload.value;
        return matchingMessageIds.map((id, i) => `${n.recipients[0]} ${requestId} -> ${id}@${holders[i]}`);
      })
      .sort();
  const audited = async (op: AuditOperation, messageId: string) =>
    (await publishedAuditEvents(bus, NODE)).filter((e) => e.operation === op && e.messageId === messageId);
  const deliverAndWait = async (e: Envelope) => {
    await deliverVouched(bus, router, NODE, e, 'delivered');
    await waitFor(
      async () => ((await audited(AuditOperation.RECEIVED, e.id)).length > 0 ? true : undefined),
      `${e.id} received`,
    );
  };

  const gr = lead('cp-gr');
  const it_ = debriefing('cp-it');
  // cp-mt's lead is H2 and AMBER: only the parties it names (cp-it) may learn of it.
  const mt = lead('cp-mt', {
    handlingCode: 'HANDLING_CODE_H2',
    tlp: 'TLP_AMBER',
    recipients: [NODE, 'cp-it'],
  });

  it('tells no one while only one party reported the IBAN', async () => {
    await deliverAndWait(gr);
    expect(await notices()).toEqual([]);
  });

  it("tells both originators of the link, naming the other's report and its holder", async () => {
    await deliverAndWait(it_);
    await waitFor(async () => ((await notices()).length === 2 ? true : undefined), 'two notices');
    expect(await told()).toEqual(
      [`cp-gr ${gr.id} -> ${it_.id}@cp-it`, `cp-it ${it_.id} -> ${gr.id}@cp-gr`].sort(),
    );
    const [notice] = (await notices()).filter((n) => n.recipients[0] === 'cp-it');
    expect(notice.payload.case === 'hitNotice' && notice.payload.value.selector?.value).toBe(IBAN);
    const [combined] = await audited(AuditOperation.COMBINED, it_.id);
    expect(JSON.parse(combined.detailJson)).toEqual({
      linked: gr.id,
      holder: 'cp-gr',
      selectorKinds: ['iban'],
      told: ['cp-gr', 'cp-it'],
    });
  });

  it('keeps a restricted report from a party that does not hold it, and audits that it was not told', async () => {
    await deliverAndWait(mt);
    await waitFor(async () => ((await notices()).length === 4 ? true : undefined), 'four notices');
    expect(await told()).toEqual(
      [
        `cp-gr ${gr.id} -> ${it_.id}@cp-it`,
        `cp-it ${it_.id} -> ${gr.id}@cp-gr`,
        `cp-mt ${mt.id} -> ${gr.id}@cp-gr`,
        `cp-mt ${mt.id} -> ${it_.id}@cp-it`,
        `cp-it ${it_.id} -> ${mt.id}@cp-mt`,
      ].sort(),
    );
    expect(JSON.stringify(await told())).not.toContain(`cp-gr ${gr.id} -> ${mt.id}`);
    const withheld = await audited(AuditOperation.WITHHELD, mt.id);
    expect(withheld.map((e) => [e.counterpartNode, e.rule])).toEqual([['cp-gr', LINK_NEEDS_CONSENT]]);
  });

  it('tells no link twice, after a redelivery or a restart', async () => {
    // Past the submit stream's deduplication window (hours in production), only JOT MARE's own record of what
    // it told keeps a late redelivery from telling again.
    const submit = await bus.jsm.streams.info(Streams.submit);
    await bus.jsm.streams.update(Streams.submit, { ...submit.config, duplicate_window: 100_000_000 });
    await new Promise((r) => setTimeout(r, 200));
    // The inbox is taken in order: once a later item is received, the redelivery before it was handled.
    await deliverVouched(bus, router, NODE, mt, 'delivered');
    await deliverAndWait(unlinked('cp-es'));
    await app!.close();
    app = await start();
    await deliverVouched(bus, router, NODE, it_, 'delivered');
    await deliverAndWait(unlinked('cp-pt'));
    expect(await notices()).toHaveLength(4);
  });

  it('takes a recalled report out of the index: the erasure states it, and it links to nothing after', async () => {
    const recall = envelopeFromJson(
      asJson(
        validRecallEnvelope({
          id: uuidv7(),
          sender: 'cp-it',
          recipients: [],
          recall: { messageId: it_.id, reason: 'RECALL_REASON_INACCURATE', explanation: 'Wrong account.' },
        }),
      ),
    );
    await deliverVouched(bus, router, NODE, recall, 'recall');
    const erased = await waitFor(
      async () => (await audited(AuditOperation.ERASED, it_.id))[0],
      'the erasure',
    );
    expect((JSON.parse(erased.detailJson) as { erased: string[] }).erased).toEqual([
      'copy',
      `${SELECTOR_INDEX_ENTRY}:iban`,
    ]);
    const de = lead('cp-de');
    await deliverAndWait(de);
    await waitFor(
      async () => ((await notices()).length === 7 ? true : undefined),
      'the notices of the new lead',
    );
    const now = await told();
    expect(now).toContain(`cp-de ${de.id} -> ${gr.id}@cp-gr`);
    expect(now).toContain(`cp-gr ${gr.id} -> ${de.id}@cp-de`);
    expect(now.filter((l) => l.startsWith('cp-de')).join()).not.toContain(it_.id);
    // cp-mt's restricted lead: not told to cp-de; cp-mt may learn of cp-de's unrestricted one.
    expect(now.filter((l) => l.startsWith('cp-de')).join()).not.toContain(mt.id);
    expect(now).toContain(`cp-mt ${mt.id} -> ${de.id}@cp-de`);
  });
});
