import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { generateKeyPairSync } from 'node:crypto';
import {
  AlertLevel,
  AuditOperation,
  Purpose,
  SmugglingRoute,
  deliverySigner,
  envelopeFromJson,
  envelopeToJson,
  publicKeyDer,
  uuidv7,
  type Envelope,
} from '#contracts';
import { loadDirectory } from '#directory';
import { connectBus, provisionBus, type Bus } from '#messaging';
import { HOLDINGS, type HoldingsStore } from '#node-app';
import {
  asJson,
  createTestSchema,
  deliverVouched,
  submittedBy,
  publishedAuditEvents,
  startNatsServer,
  validRecallEnvelope,
  validSuspectVesselReportEnvelope,
  waitFor,
  type TestNatsServer,
  type TestSchema,
} from '#testing';
import { WEEK_MS } from '../jot-mare.setup.js';
import { startJotMareForTest } from '../jot-mare.test-app.js';
import { MaritimePictureService } from '../maritime-picture/maritime-picture.service.js';
import { VesselWatchHandler, WATCH_LIST, WATCH_LIST_ENTRY } from './vessel-watch.handler.js';
import type { WatchListStore } from './watch-list.store.js';

const NODE = 'jot-mare';
const VESSEL = 'imo:9074729';

/**
 * JOT MARE's watch-list on real NATS and PostgreSQL: reports of one vessel from several parties raise its
 * score until it crosses the threshold, and then one alert goes to the coastal contact points and Frontex;
 * the list survives a restart, and a recall takes an item's evidence back.
 */
describe("JOT MARE's vessel watch-list", () => {
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
      handler: VesselWatchHandler,
    });

  beforeAll(async () => {
    [nats, db] = await Promise.all([startNatsServer(), createTestSchema('watchlist')]);
    bus = await connectBus({ servers: nats.url, name: 'watch-list-test' });
    await provisionBus(bus.jsm, [NODE]);
    app = await start();
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await nats?.dispose();
    await db?.drop();
  });

  const deliver = (e: Envelope, decision: 'delivered' | 'recall' = 'delivered') =>
    deliverVouched(bus, router, NODE, e, decision);

  const alerts = async () => (await submittedBy(bus, NODE)).filter((e) => e.payload.case === 'vesselAlert');

  const vesselReportJson = (sender: string) =>
    validSuspectVesselReportEnvelope({
      id: uuidv7(),
      sender,
      author: `${sender}.analyst-1`,
      recipients: [NODE],
      handlingCode: 'HANDLING_CODE_H0',
      tlp: 'TLP_GREEN',
    });
  const vesselReport = (sender: string) => envelopeFromJson(asJson(vesselReportJson(sender)));
  const store = () => app!.get<WatchListStore>(WATCH_LIST);
  const received = async (id: string) =>
    (await publishedAuditEvents(bus, NODE)).some(
      (e) => e.operation === AuditOperation.RECEIVED && e.messageId === id,
    )
      ? true
      : undefined;

  /** The node's first `withheld` row of a message, once it is there. */
  const withheldOf = (id: string) =>
    waitFor(
      async () =>
        (await publishedAuditEvents(bus, NODE)).find(
          (e) => e.operation === AuditOperation.WITHHELD && e.messageId === id,
        ),
      `${id} withheld`,
    );

  const reports: Envelope[] = [];

  it('raises no alert while the score is below the threshold', async () => {
    for (const sender of ['cp-gr', 'cp-it']) {
      const r = vesselReport(sender);
      reports.push(r);
      await deliver(r);
      await waitFor(() => received(r.id), `${sender}'s report received`);
    }
    expect(await alerts()).toEqual([]);
    expect((await store().evidenceOf(VESSEL)).map((e) => e.reporter)).toEqual(['cp-gr', 'cp-it']);
  });

  it('alerts the coastal contact points and Frontex, once, when a third party crosses the threshold', async () => {
    const third = vesselReport('cp-mt');
    reports.push(third);
    await deliver(third);
    const [alert] = await waitFor(async () => {
      const a = await alerts();
      return a.length ? a : undefined;
    }, 'the vessel alert');
    expect(alert.recipients).toEqual(['cp-it', 'cp-mt', 'frontex-ra']);
    expect(alert.sender).toBe(NODE);
    const v = alert.payload.case === 'vesselAlert' ? alert.payload.value : undefined;
    expect(v).toMatchObject({ imoNumber: '9074729', riskScore: 65, level: AlertLevel.WATCH });
    expect(v?.criteria.map((c) => c.name)).toEqual(['decommissioned', 'flag', 'several-parties']);
    expect(v?.relatedMessageIds).toEqual(reports.map((r) => r.id));
    const combined = await waitFor(
      async () =>
        (await publishedAuditEvents(bus, NODE)).find(
          (e) =>
            e.operation === AuditOperation.COMBINED &&
            e.messageId === third.id &&
            e.detailJson.includes('"alert"'),
        ),
      'the alert audited',
    );
    expect(JSON.parse(combined.detailJson)).toMatchObject({
      vessel: VESSEL,
      alert: alert.id,
      score: 65,
      criteria: ['decommissioned', 'flag', 'several-parties'],
      recipients: ['cp-it', 'cp-mt', 'frontex-ra'],
    });
  });

  it('keeps the list across a restart, and does not alert again at the same level', async () => {
    await app!.close();
    app = await start();
    expect(await store().vessel(VESSEL)).toMatchObject({ alertedLevel: AlertLevel.WATCH, alertedScore: 65 });
    const fourth = vesselReport('cp-es');
    reports.push(fourth);
    await deliver(fourth);
    await waitFor(() => received(fourth.id), 'the fourth report received');
    // 75 is below the level above (80): still one alert.
    expect(await alerts()).toHaveLength(1);
  });

  it('issues the maritime picture of the route once per period, to Eurostat, Frontex and the coastal contact points', async () => {
    const pictures = app!.get(MaritimePictureService);
    const later = Date.now() + WEEK_MS;
    const [id] = await pictures.issueDue(later);
    expect(id).toBeDefined();
    const picture = (await submittedBy(bus, NODE)).find((e) => e.id === id)!;
    expect(picture.recipients).toEqual(['eurostat', 'cp-it', 'cp-mt', 'frontex-ra']);
    expect(picture.payload.case === 'analysisProduct' && picture.payload.value).toMatchObject({
      aggregated: true,
      summary: expect.stringMatching(
        /^Central Mediterranean, .*: 1 vessels on the watch-list \(1 decommissioned/,
      ),
    });
    expect(JSON.stringify(envelopeToJson(picture))).not.toContain('9074729');
    expect(picture.purposes).toEqual([Purpose.RISK_ANALYSIS]);
    // Issued once: not again in the same period, after a restart neither.
    expect(await pictures.issueDue(later)).toEqual([]);
    await app!.close();
    app = await start();
    expect(await app.get(MaritimePictureService).issueDue(later)).toEqual([]);
  });

  it('takes a recalled report back from the list and states it in the erasure', async () => {
    const recalled = reports[0];
    const recall = envelopeFromJson(
      asJson(
        validRecallEnvelope({
          id: uuidv7(),
          sender: recalled.sender,
          recipients: [],
          recall: {
            messageId: recalled.id,
            reason: 'RECALL_REASON_INACCURATE',
            explanation: 'Wrong vessel.',
          },
        }),
      ),
    );
    await deliver(recall, 'recall');
    const erased = await waitFor(
      async () =>
        (await publishedAuditEvents(bus, NODE)).find(
          (e) => e.operation === AuditOperation.ERASED && e.messageId === recalled.id,
        ),
      'the erasure',
    );
    expect((JSON.parse(erased.detailJson) as { erased: string[] }).erased).toEqual([
      'copy',
      `${WATCH_LIST_ENTRY}:${VESSEL}`,
    ]);
    expect((await store().evidenceOf(VESSEL)).map((e) => e.reporter)).toEqual(['cp-it', 'cp-mt', 'cp-es']);
  });

  it('keeps a report that serves neither investigation nor border management off the list, and says so', async () => {
    const forAnalysis = envelopeFromJson(
      asJson({ ...vesselReportJson('cp-fr'), purposes: ['PURPOSE_RISK_ANALYSIS'] }),
    );
    await deliver(forAnalysis);
    const withheld = await withheldOf(forAnalysis.id);
    expect(withheld.rule).toBe('NODE.PURPOSE_NOT_COVERED');
    expect(JSON.parse(withheld.detailJson)).toEqual({
      use: WATCH_LIST_ENTRY,
      serves: ['criminal-investigation', 'border-management'],
      purposes: ['risk-analysis'],
      statement:
        'vessel-watch-list serves criminal-investigation, border-management; the item serves risk-analysis as its sender stated',
    });
    expect((await store().evidenceOf(VESSEL)).map((e) => e.reporter)).toEqual(['cp-it', 'cp-mt', 'cp-es']);
    // The copy itself is held, with what it serves: a recall or its expiry still finds it.
    expect(await app!.get<HoldingsStore>(HOLDINGS).get(forAnalysis.id)).toMatchObject({
      sender: 'cp-fr',
      purposes: ['risk-analysis'],
    });
  });

  it('puts a report given for criminal investigation on the list but leaves it out of the maritime picture', async () => {
    const forInvestigation = envelopeFromJson(
      asJson({ ...vesselReportJson('cp-de'), purposes: ['PURPOSE_CRIMINAL_INVESTIGATION'] }),
    );
    await deliver(forInvestigation);
    const withheld = await withheldOf(forInvestigation.id);
    expect(JSON.parse(withheld.detailJson)).toMatchObject({
      use: 'maritime-picture',
      serves: ['risk-analysis'],
    });
    expect((await store().evidenceOf(VESSEL)).find((e) => e.reporter === 'cp-de')?.purposes).toEqual([
      Purpose.CRIMINAL_INVESTIGATION,
    ]);
    const counted = await store().pictureEvidence(SmugglingRoute.CENTRAL_MEDITERRANEAN);
    expect(counted.map((e) => e.reporter).sort()).toEqual(['cp-es', 'cp-it', 'cp-mt']);
  });
});
