import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import {
  AuditOperation,
  deliverySigner,
  envelopeFromJson,
  publicKeyDer,
  uuidv7,
  type AuditEvent,
  type Envelope,
} from '#contracts';
import { connectBus, provisionBus, type Bus } from '#messaging';
import { HOLDINGS, NodeAppModule, type HoldingsStore } from '#node-app';
import {
  asJson,
  deliverVouched,
  publishedAuditEvents,
  createTestSchema,
  startNatsServer,
  validFinancialLeadEnvelope,
  validRecallEnvelope,
  validSuspectVesselReportEnvelope,
  waitFor,
  type TestNatsServer,
  type TestSchema,
} from '#testing';
import { CONTACT_POINT_MIGRATIONS, contactPointProviders } from '../contact-point.setup.js';
import { RECALL_PASSED_ON, WITHDRAWN } from './dispatch-queue.js';
import { NationalDispatchHandler } from './national-dispatch.handler.js';
import { parseNationalAuthorities, type NationalAuthorities } from './national-authorities.js';

const NODE = 'cp-it';
const COAST_GUARD_SUBJECT = 'it.gc.msx.intake';
const FIU_TOKEN = 'uif-bearer-secret';

/** What the FIU's HTTP endpoint received, and how it answers the next requests. */
interface FiuEndpoint {
  server: Server;
  url: string;
  received: Array<{
    headers: IncomingHttpHeaders;
    body: { kind: string; item?: { id: string }; recall?: unknown };
  }>;
  /** HTTP statuses for the next requests, in order; 202 once they are used up. */
  answers: number[];
  /** While set, requests are held unanswered until it resolves; `arrived` counts requests that came. */
  gate?: Promise<void>;
  arrived: number;
}

async function startFiu(): Promise<FiuEndpoint> {
  const fiu: FiuEndpoint = { server: createServer(), url: '', received: [], answers: [], arrived: 0 };
  fiu.server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void answer());
    const answer = async () => {
      fiu.arrived++;
      await fiu.gate;
      const status = fiu.answers.shift() ?? 202;
      if (status < 300)
        fiu.received.push({
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as FiuEndpoint['received'][number]['body'],
        });
      res.writeHead(status).end();
    };
  });
  await new Promise<void>((resolve) => fiu.server.listen(0, '127.0.0.1', resolve));
  fiu.url = `http://127.0.0.1:${(fiu.server.address() as AddressInfo).port}/msx/intake`;
  return fiu;
}

/**
 * A contact point passes what it receives to its national authorities on their own NATS server and HTTP
 * endpoint, as far as the handling code allows, audits each dispatch as a disclosure, retries and reports a
 * failing one, keeps its queue across a restart, and withdraws or passes on a recall.
 */
describe('national dispatch at a contact point, on real NATS servers and PostgreSQL', () => {
  let exchange: TestNatsServer;
  let national: TestNatsServer;
  let nationalNc: NatsConnection;
  let nationalJsm: JetStreamManager;
  let bus: Bus;
  let db: TestSchema;
  let fiu: FiuEndpoint;
  let app: INestApplicationContext | undefined;
  let authorities: NationalAuthorities;
  const routerKeys = generateKeyPairSync('ed25519');
  const router = deliverySigner(routerKeys.privateKey);

  async function startContactPoint(): Promise<INestApplicationContext> {
    return NestFactory.createApplicationContext(
      NodeAppModule.forNode({
        nodeId: NODE,
        natsUrl: exchange.url,
        routerPublicKey: publicKeyDer(routerKeys.publicKey),
        handler: NationalDispatchHandler,
        providers: contactPointProviders(NODE, authorities),
        witness: null,
        holdings: { url: db.url, schema: db.schema, migrations: CONTACT_POINT_MIGRATIONS },
      }),
      { logger: ['error'] },
    );
  }

  beforeAll(async () => {
    [exchange, national, db, fiu] = await Promise.all([
      startNatsServer(),
      startNatsServer(),
      createTestSchema('dispatch'),
      startFiu(),
    ]);
    bus = await connectBus({ servers: exchange.url, name: 'dispatch-test' });
    await provisionBus(bus.jsm, [NODE, 'cp-gr', 'jot-mare']);
    // The coast guard's own server keeps what it is sent in a stream, which drops a repeated dispatch id.
    nationalNc = await connect({ servers: national.url });
    nationalJsm = await jetstreamManager(nationalNc);
    await nationalJsm.streams.add({ name: 'GC_INTAKE', subjects: [COAST_GUARD_SUBJECT] });
    authorities = parseNationalAuthorities(
      {
        authorities: [
          {
            id: 'guardia-costiera',
            kind: 'coast-guard',
            name: 'Guardia Costiera',
            nats: { url: national.url, subject: COAST_GUARD_SUBJECT },
          },
          {
            id: 'uif',
            kind: 'financial-intelligence-unit',
            name: 'Unità di Informazione Finanziaria',
            http: { url: fiu.url, tokenFile: '/secrets/uif' },
          },
        ],
        retry: { reportAfter: 2, firstDelayMs: 50, maxDelayMs: 200, timeoutMs: 2_000 },
      },
      'cp-it.yaml',
      () => FIU_TOKEN,
    );
    app = await startContactPoint();
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await nationalNc?.close();
    await Promise.all([exchange?.dispose(), national?.dispose(), db?.drop()]);
    fiu?.server.close();
  });

  const auditOf = (publisher: string) => publishedAuditEvents(bus, publisher);

  const eventsFor = async (messageId: string) =>
    (await auditOf(NODE)).filter((e) => e.messageId === messageId);

  const deliver = (e: Envelope, decision: 'delivered' | 'recall' = 'delivered') =>
    deliverVouched(bus, router, NODE, e, decision);

  /** What the coast guard's stream holds, in order. */
  type Dispatched = { kind: string; item?: { id: string }; recall?: unknown };
  async function coastGuardIntake(): Promise<Dispatched[]> {
    const { state } = await nationalJsm.streams.info('GC_INTAKE');
    const out: Dispatched[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await nationalJsm.streams.getMessage('GC_INTAKE', { seq });
      if (m) out.push(JSON.parse(new TextDecoder().decode(m.data)) as Dispatched);
    }
    return out;
  }

  const erasedOf = (e: AuditEvent) => (JSON.parse(e.detailJson) as { erased: string[] }).erased;
  const vessel = (overrides: Record<string, unknown> = {}) =>
    envelopeFromJson(
      asJson(
        validSuspectVesselReportEnvelope({
          id: uuidv7(),
          handlingCode: 'HANDLING_CODE_H0',
          tlp: 'TLP_GREEN',
          ...overrides,
        }),
      ),
    );
  const lead = (handlingCode: string) =>
    envelopeFromJson(
      asJson(validFinancialLeadEnvelope({ id: uuidv7(), sender: 'cp-gr', handlingCode, tlp: 'TLP_AMBER' })),
    );
  const recallOf = (item: Envelope) =>
    envelopeFromJson(
      asJson(
        validRecallEnvelope({
          id: uuidv7(),
          sender: item.sender,
          recipients: [],
          recall: { messageId: item.id, reason: 'RECALL_REASON_INACCURATE', explanation: 'Wrong vessel.' },
        }),
      ),
    );

  it('passes a vessel report to the coast guard once and audits the disclosure with the authority', async () => {
    const report = vessel();
    await deliver(report);
    const dispatched = await waitFor(
      async () => (await eventsFor(report.id)).find((e) => e.operation === AuditOperation.DISPATCHED),
      'the dispatch audited',
    );
    expect(dispatched).toMatchObject({
      actorNode: NODE,
      actorPerson: `${NODE}.dispatch`,
      counterpartNode: `${NODE}/guardia-costiera`,
      messageType: 'suspectVesselReport',
    });
    expect(JSON.parse(dispatched.detailJson)).toMatchObject({
      authority: 'guardia-costiera',
      authorityKind: 'coast-guard',
      kind: 'item',
      transport: 'nats',
      attempts: 1,
      purpose: report.purpose,
      passedOnFor: 'border-management',
    });
    expect(report.purpose).not.toBe('');
    const intake = await coastGuardIntake();
    expect(intake.filter((m) => m.item?.id === report.id)).toEqual([
      expect.objectContaining({ kind: 'item', contactPoint: NODE, authority: 'guardia-costiera' }),
    ]);
    // The same copy again (a redelivery) is not dispatched twice, and nothing went to the FIU.
    await deliver(report);
    await waitFor(
      async () =>
        (await eventsFor(report.id)).filter((e) => e.operation === AuditOperation.RECEIVED).length
          ? 1
          : undefined,
      'received',
    );
    expect((await coastGuardIntake()).filter((m) => m.item?.id === report.id)).toHaveLength(1);
    expect(fiu.received.filter((r) => r.body.item?.id === report.id)).toEqual([]);
    // The queue keeps no intelligence once it is sent.
    const holdings = app!.get<HoldingsStore>(HOLDINGS);
    const rows = await holdings.query<Array<{ status: string; body: Buffer | null }>>(
      `SELECT status, body FROM ${holdings.table('national_dispatch')} WHERE item_id = $1`,
      [report.id],
    );
    expect(rows).toEqual([{ status: 'sent', body: null }]);
  });

  it('keeps an H2 lead from the FIU and audits it as withheld under the rule, sending nothing', async () => {
    const h2 = lead('HANDLING_CODE_H2');
    await deliver(h2);
    const withheld = await waitFor(
      async () => (await eventsFor(h2.id)).find((e) => e.operation === AuditOperation.WITHHELD),
      'the withholding audited',
    );
    expect(withheld).toMatchObject({ rule: 'DISPATCH.H2_NO_DISSEMINATION', counterpartNode: `${NODE}/uif` });
    expect(JSON.parse(withheld.detailJson)).toMatchObject({ authority: 'uif' });
    expect(fiu.received.filter((r) => r.body.item?.id === h2.id)).toEqual([]);
    expect((await eventsFor(h2.id)).filter((e) => e.operation === AuditOperation.DISPATCHED)).toEqual([]);
  });

  it('keeps from the coast guard a vessel report its provider gave for criminal investigation alone', async () => {
    const forPolice = vessel({ purposes: ['PURPOSE_CRIMINAL_INVESTIGATION'] });
    await deliver(forPolice);
    const withheld = await waitFor(
      async () => (await eventsFor(forPolice.id)).find((e) => e.operation === AuditOperation.WITHHELD),
      'the withholding audited',
    );
    expect(withheld).toMatchObject({
      rule: 'DISPATCH.PURPOSE_NOT_COVERED',
      counterpartNode: `${NODE}/guardia-costiera`,
    });
    expect(JSON.parse(withheld.detailJson)).toMatchObject({
      authority: 'guardia-costiera',
      reason:
        'dispatch:guardia-costiera serves border-management; the item serves criminal-investigation as its sender stated',
    });
    expect((await coastGuardIntake()).filter((m) => m.item?.id === forPolice.id)).toEqual([]);
    expect((await eventsFor(forPolice.id)).filter((e) => e.operation === AuditOperation.DISPATCHED)).toEqual(
      [],
    );
  });

  it('retries a failing FIU endpoint, reports it after two failures, and audits the dispatch once it is accepted', async () => {
    fiu.answers.push(503, 500);
    const h0 = lead('HANDLING_CODE_H0');
    await deliver(h0);
    const dispatched = await waitFor(
      async () => (await eventsFor(h0.id)).find((e) => e.operation === AuditOperation.DISPATCHED),
      'the dispatch audited',
    );
    expect(JSON.parse(dispatched.detailJson)).toMatchObject({
      authority: 'uif',
      transport: 'http',
      attempts: 3,
    });
    const reports = (await eventsFor(h0.id)).filter((e) => e.rule === 'DISPATCH.FAILING');
    expect(reports).toHaveLength(1);
    expect(reports[0].operation).toBe(AuditOperation.REJECTED);
    expect(JSON.parse(reports[0].detailJson)).toMatchObject({
      authority: 'uif',
      attempts: 2,
      error: expect.stringContaining('HTTP 500'),
      stillRetrying: true,
    });
    const got = fiu.received.filter((r) => r.body.item?.id === h0.id);
    expect(got).toHaveLength(1);
    expect(got[0].headers.authorization).toBe(`Bearer ${FIU_TOKEN}`);
    expect(got[0].headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    // The token is a secret: it is in no audit row.
    const texts = (await auditOf(NODE)).map((e) => `${e.rule} ${e.detailJson} ${e.counterpartNode}`);
    expect(texts.join('\n')).not.toContain(FIU_TOKEN);
  });

  it('keeps a dispatch across a restart while its authority is away, and sends it once the authority is back', async () => {
    await national.stop();
    const report = vessel();
    await deliver(report);
    const holdings = app!.get<HoldingsStore>(HOLDINGS);
    await waitFor(async () => {
      const [r] = await holdings.query<Array<{ attempts: number }>>(
        `SELECT attempts FROM ${holdings.table('national_dispatch')} WHERE item_id = $1`,
        [report.id],
      );
      return r && r.attempts >= 1 ? r : undefined;
    }, 'a failed attempt');
    await app!.close();
    app = undefined;
    await national.start();
    await nationalNc.close();
    nationalNc = await connect({ servers: national.url });
    nationalJsm = await jetstreamManager(nationalNc);
    app = await startContactPoint();
    await waitFor(
      async () => (await eventsFor(report.id)).find((e) => e.operation === AuditOperation.DISPATCHED),
      'the dispatch after the restart',
    );
    expect((await coastGuardIntake()).filter((m) => m.item?.id === report.id)).toHaveLength(1);
  });

  it('calls off a dispatch on its way when it stops, counts no attempt, and sends it under the same id after the restart', async () => {
    let release!: () => void;
    fiu.gate = new Promise<void>((resolve) => (release = resolve));
    const arrivedBefore = fiu.arrived;
    const h0 = lead('HANDLING_CODE_H0');
    await deliver(h0);
    await waitFor(
      async () => (fiu.arrived > arrivedBefore ? true : undefined),
      'the lead at the FIU, unanswered',
    );
    const table = app!.get<HoldingsStore>(HOLDINGS).table('national_dispatch');
    // Stopping calls the attempt off instead of waiting for the FIU's answer (up to its 2 s timeout, after
    // which it would count as failed): the attempt is rolled back and the dispatch stays due.
    await app!.close();
    app = undefined;
    const rows = () =>
      db.query<{ status: string; attempts: number; last_error: string | null }>(
        `SELECT status, attempts, last_error FROM ${table} WHERE item_id = $1 AND authority = 'uif'`,
        [h0.id],
      );
    expect(await rows()).toEqual([{ status: 'pending', attempts: 0, last_error: null }]);
    expect((await eventsFor(h0.id)).filter((e) => e.rule?.startsWith('DISPATCH.'))).toEqual([]);
    // The FIU may have taken the first request after all: the one after the restart carries the same id.
    release();
    fiu.gate = undefined;
    app = await startContactPoint();
    const dispatched = await waitFor(
      async () => (await eventsFor(h0.id)).find((e) => e.operation === AuditOperation.DISPATCHED),
      'the dispatch after the restart',
    );
    expect(JSON.parse(dispatched.detailJson)).toMatchObject({ authority: 'uif', attempts: 1 });
    const got = fiu.received.filter((r) => r.body.item?.id === h0.id);
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(new Set(got.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect(await rows()).toEqual([{ status: 'sent', attempts: 1, last_error: null }]);
  });

  it('passes a recall on to the authority that was sent the item, and withdraws what was not sent yet', async () => {
    // Sent to the coast guard.
    const sent = vessel();
    await deliver(sent);
    await waitFor(
      async () => (await eventsFor(sent.id)).find((e) => e.operation === AuditOperation.DISPATCHED),
      'the first dispatch',
    );
    // Not yet sent to the FIU, which refuses everything for now.
    fiu.answers.push(...Array<number>(1000).fill(503));
    const waiting = lead('HANDLING_CODE_H0');
    await deliver(waiting);
    await waitFor(
      async () =>
        (await eventsFor(waiting.id)).find((e) => e.rule === 'DISPATCH.FAILING') ? true : undefined,
      'the FIU dispatch failing',
    );

    await deliver(recallOf(sent), 'recall');
    await deliver(recallOf(waiting), 'recall');
    const erasedSent = await waitFor(
      async () => (await eventsFor(sent.id)).find((e) => e.operation === AuditOperation.ERASED),
      'the sent item erased',
    );
    expect(erasedOf(erasedSent)).toEqual(['copy', `${RECALL_PASSED_ON}:guardia-costiera`]);
    const erasedWaiting = await waitFor(
      async () => (await eventsFor(waiting.id)).find((e) => e.operation === AuditOperation.ERASED),
      'the waiting item erased',
    );
    expect(erasedOf(erasedWaiting)).toEqual(['copy', `${WITHDRAWN}:uif`]);

    // The recall reaches the coast guard, after the item, and is audited as passed on.
    await waitFor(
      async () => ((await coastGuardIntake()).some((m) => m.kind === 'recall') ? true : undefined),
      'the recall at the coast guard',
    );
    const intake = await coastGuardIntake();
    const at = intake.findIndex((m) => m.item?.id === sent.id);
    expect(intake.slice(at + 1).filter((m) => m.kind === 'recall')).toEqual([
      expect.objectContaining({
        authority: 'guardia-costiera',
        recall: expect.objectContaining({ item: sent.id, reason: 'INACCURATE' }),
      }),
    ]);
    const passedOn = await waitFor(
      async () =>
        (await eventsFor(sent.id)).find(
          (e) =>
            e.operation === AuditOperation.DISPATCHED &&
            (JSON.parse(e.detailJson) as { kind: string }).kind === 'recall',
        ),
      'the recall dispatch audited',
    );
    expect(passedOn.counterpartNode).toBe(`${NODE}/guardia-costiera`);

    // The withdrawn lead never reaches the FIU, even once it answers again.
    fiu.answers.length = 0;
    const later = lead('HANDLING_CODE_H0');
    await deliver(later);
    await waitFor(
      async () => (fiu.received.some((r) => r.body.item?.id === later.id) ? true : undefined),
      'a later lead at the FIU',
    );
    expect(fiu.received.filter((r) => r.body.item?.id === waiting.id)).toEqual([]);
    const holdings = app!.get<HoldingsStore>(HOLDINGS);
    const rows = await holdings.query<Array<{ status: string; body: Buffer | null }>>(
      `SELECT status, body FROM ${holdings.table('national_dispatch')} WHERE item_id = $1`,
      [waiting.id],
    );
    expect(rows).toEqual([{ status: 'withdrawn', body: null }]);
  });

  it('lets a recall that comes while the item is being sent wait for the attempt, then passes it on', async () => {
    let release!: () => void;
    fiu.gate = new Promise<void>((resolve) => (release = resolve));
    const arrivedBefore = fiu.arrived;
    const inFlight = lead('HANDLING_CODE_H0');
    await deliver(inFlight);
    await waitFor(
      async () => (fiu.arrived > arrivedBefore ? true : undefined),
      'the lead at the FIU, unanswered',
    );
    await deliver(recallOf(inFlight), 'recall');
    // The recall waits for the attempt: nothing is erased while the FIU has not answered.
    await new Promise((r) => setTimeout(r, 300));
    expect((await eventsFor(inFlight.id)).filter((e) => e.operation === AuditOperation.ERASED)).toEqual([]);
    release();
    fiu.gate = undefined;
    const erased = await waitFor(
      async () => (await eventsFor(inFlight.id)).find((e) => e.operation === AuditOperation.ERASED),
      'the lead erased',
    );
    // It reached the FIU, so the erasure says the recall was passed on, not that the dispatch was withdrawn.
    expect(erasedOf(erased)).toEqual(['copy', `${RECALL_PASSED_ON}:uif`]);
    await waitFor(
      async () =>
        fiu.received.some(
          (r) => r.body.kind === 'recall' && JSON.stringify(r.body.recall).includes(inFlight.id),
        )
          ? true
          : undefined,
      'the recall at the FIU',
    );
  });
});
