import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  AuditOperation,
  decodeAuditEvent,
  decodeAuditEventBatch,
  decodeEnvelope,
  deliverySigner,
  encodeEnvelope,
  envelopeFromJson,
  sha256Hex,
  signDelivery,
  uuidv7,
  encodeAuditStatus,
  newAuditStatus,
  type AuditStatus,
} from '#contracts';
import { loadConfig } from '#config';
import {
  auditConsumer,
  auditStream,
  connectBus,
  ensureConsumer,
  ensureStream,
  inboxStream,
  publishDurably,
  Streams,
  Subjects,
  type Bus,
} from '#messaging';
import { publishAuditStatus } from '#runtime';
import {
  createTestSchema,
  type TestSchema,
  startNatsServer,
  waitFor,
  type TestNatsServer,
  asJson,
  validRouteReportEnvelope,
  validSuspectVesselReportEnvelope,
} from '#testing';
import { gatewaySpec } from './gateway.config.js';
import { GatewayModule } from './gateway.module.js';

const TOKEN = 'emlo-ne-test-token-0123456789abcdef';
const CP_GR_TOKEN = 'cp-gr-test-token-0123456789abcdef0';

/** The router's delivery key; the gateway pins its public half through MSX_ROUTER_KEY_FILE. */
const routerKeys = generateKeyPairSync('ed25519');
const router = deliverySigner(routerKeys.privateKey);

describe('gateway over HTTP, publishing to a real nats-server', () => {
  let nats: TestNatsServer;
  let bus: Bus;
  let app: NestFastifyApplication;
  let base: string;
  // No audit service runs here: the test speaks for it (heartbeat and status answers), so the gateway's
  // audit gate opens, and a test can fall silent to see the gate close.
  let auditHeard = true;
  let heartbeat: NodeJS.Timeout;
  let keyDir: string;
  let db: TestSchema;
  const auditStatus = (): AuditStatus => newAuditStatus({ databaseReachable: true, atMs: Date.now() });

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'gateway-test' });
    await ensureStream(bus.jsm, auditStream());
    await ensureConsumer(bus.jsm, auditConsumer());
    bus.nc.subscribe(Subjects.auditStatusRequest, {
      callback: (_err, msg) => {
        if (auditHeard) msg.respond(encodeAuditStatus(auditStatus()));
      },
    });
    heartbeat = setInterval(() => {
      if (auditHeard && !bus.nc.isClosed()) publishAuditStatus(bus.nc, auditStatus());
    }, 500);
    keyDir = mkdtempSync(join(tmpdir(), 'msx-gateway-'));
    const routerKeyFile = join(keyDir, 'router.pub.pem');
    writeFileSync(routerKeyFile, routerKeys.publicKey.export({ type: 'spki', format: 'pem' }));
    db = await createTestSchema('gateway');
    const config = loadConfig(gatewaySpec, {
      MSX_NATS_URL: nats.url,
      MSX_DATABASE_URL: db.url,
      MSX_DATABASE_SCHEMA: db.schema,
      MSX_ROUTER_KEY_FILE: routerKeyFile,
      MSX_GATEWAY_TOKENS: `emlo-ne=${TOKEN},cp-gr=${CP_GR_TOKEN}`,
      MSX_GATEWAY_BODY_LIMIT_BYTES: '4096',
      MSX_AUDIT_HEARTBEAT_TIMEOUT_MS: '1500',
      MSX_LOG_LEVEL: 'error',
    });
    app = await NestFactory.create<NestFastifyApplication>(
      GatewayModule.forRoot(config),
      new FastifyAdapter({ bodyLimit: config.MSX_GATEWAY_BODY_LIMIT_BYTES }),
      { logger: ['error'], rawBody: true, abortOnError: false },
    );
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    clearInterval(heartbeat);
    await app?.close();
    await bus?.close();
    await nats?.dispose();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
    await db?.drop();
  });

  const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  const submitted = async () => (await bus.jsm.streams.info(Streams.submit)).state.messages;

  async function lastRejection() {
    const m = await bus.jsm.streams.getMessage(Streams.audit, {
      last_by_subj: Subjects.audit('msx-gateway'),
    });
    return decodeAuditEvent(m!.data);
  }

  it('accepts a valid route report and publishes it on the node submit subject', async () => {
    const before = await submitted();
    const res = await post(asJson(validRouteReportEnvelope({ id: undefined })), {
      authorization: `Bearer ${TOKEN}`,
      'x-correlation-id': 'corr-accept-1',
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-correlation-id')).toBe('corr-accept-1');
    const body = (await res.json()) as { id: string; status: string; correlationId: string };
    expect(body).toMatchObject({ status: 'accepted', correlationId: 'corr-accept-1' });
    expect(await submitted()).toBe(before + 1);
    const m = await bus.jsm.streams.getMessage(Streams.submit, { last_by_subj: Subjects.submit('emlo-ne') });
    const envelope = decodeEnvelope(m!.data);
    expect(envelope.id).toBe(body.id);
    expect(envelope.sender).toBe('emlo-ne');
    expect(envelope.payload.case).toBe('routeReport');
    expect(m!.header.get('Msx-Correlation-Id')).toBe('corr-accept-1');
  });

  it('publishes a resubmitted envelope once and says it was a duplicate', async () => {
    const envelope = asJson(validRouteReportEnvelope({ id: '01976342-9f40-7d42-9f0a-000000000001' }));
    expect((await post(envelope)).status).toBe(202);
    const before = await submitted();
    const again = await post(envelope);
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ status: 'duplicate' });
    expect(await submitted()).toBe(before);
  });

  it('refuses a bad IMO check digit with 400 naming the field and rule, publishes nothing, and audits the rejection', async () => {
    const before = await submitted();
    const envelope = asJson(validSuspectVesselReportEnvelope());
    (envelope.suspectVesselReport as { imoNumber: string }).imoNumber = '9074728';
    const res = await post(envelope);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; violations: { field: string; rule: string }[] };
    expect(body.code).toBe('CONTRACT.INVALID');
    expect(body.violations).toEqual([
      expect.objectContaining({ field: 'suspectVesselReport.imoNumber', rule: 'imoCheckDigit' }),
    ]);
    expect(await submitted()).toBe(before);
    const audit = await lastRejection();
    expect(audit.operation).toBe(AuditOperation.REJECTED);
    expect(audit.actorNode).toBe('emlo-ne');
    expect(audit.actorPerson).toBe('emlo-ne.officer-17');
    expect(audit.rule).toBe('CONTRACT.INVALID');
    expect(audit.messageSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(audit.detailJson)).toMatchObject({
      status: 400,
      violations: [{ field: 'suspectVesselReport.imoNumber', rule: 'imoCheckDigit' }],
    });
    // Only paths and rule names are audited, never the submitted values.
    expect(audit.detailJson).not.toContain('9074728');
  });

  it('refuses a request without a valid token with 401, and audits it', async () => {
    const res = await post(asJson(validRouteReportEnvelope()), { authorization: 'Bearer not-the-token' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="msx"');
    expect(await res.json()).toMatchObject({ code: 'GATEWAY.UNAUTHENTICATED' });
    const audit = await lastRejection();
    expect(audit).toMatchObject({ actorNode: 'msx-gateway', rule: 'GATEWAY.UNAUTHENTICATED' });
    expect((await post({}, {})).status).toBe(401);
  });

  it("refuses an envelope that claims another node's sender with 403", async () => {
    const res = await post(asJson(validRouteReportEnvelope({ sender: 'cp-it' })));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'GATEWAY.SENDER_MISMATCH' });
  });

  it('refuses malformed JSON and oversized bodies with clear codes', async () => {
    const bad = await post('{"routeReport": ');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'GATEWAY.INVALID_JSON' });
    const big = await post({ ...asJson(validRouteReportEnvelope()), purpose: 'x'.repeat(5000) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: 'GATEWAY.BODY_TOO_LARGE' });
  });

  it('refuses submissions with 503 and Retry-After while the audit trail is silent, then accepts them again', async () => {
    auditHeard = false;
    try {
      const refused = await waitFor(async () => {
        const res = await post(asJson(validRouteReportEnvelope({ id: undefined })));
        return res.status === 503 ? res : undefined;
      }, 'a refusal while the audit service is silent');
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toMatchObject({ code: 'AUDIT.UNAVAILABLE' });
      const atRefusal = await submitted();
      expect((await post(asJson(validRouteReportEnvelope({ id: undefined })))).status).toBe(503);
      expect(await submitted()).toBe(atRefusal);
    } finally {
      auditHeard = true;
    }
    const accepted = await waitFor(async () => {
      const res = await post(asJson(validRouteReportEnvelope({ id: undefined })));
      return res.status === 202 ? res : undefined;
    }, 'acceptance once the audit service is heard again');
    expect(await accepted.json()).toMatchObject({ status: 'accepted' });
  });

  it('is ready when NATS and its database answer, and says whether submissions are accepted', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { nats: 'ok', database: 'ok' },
      submissions: 'open',
    });
  });

  it('answers 503 with Retry-After when the bus cannot confirm a submission', async () => {
    await nats.stop();
    try {
      const res = await post(
        asJson(validRouteReportEnvelope({ id: '01976342-9f40-7d42-9f0a-000000000099' })),
      );
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ code: 'BUS.PUBLISH_FAILED' });
      // Alive, but not ready: a load balancer stops sending it traffic.
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        status: 'not ready',
        checks: { nats: 'unreachable', database: 'ok' },
      });
    } finally {
      await nats.start();
    }
  });

  describe('an officer reads the node inbox', () => {
    const read = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/v1/inbox${query}`, {
        headers: { authorization: `Bearer ${TOKEN}`, 'x-msx-officer': 'emlo-ne.officer-17', ...headers },
      });
    const ids = [uuidv7(), uuidv7(), uuidv7()];

    beforeAll(async () => {
      // The test before restarted the server: wait until JetStream answers again.
      await waitFor(
        async () => {
          for (const node of ['emlo-ne', 'cp-it', 'cp-gr']) await ensureStream(bus.jsm, inboxStream(node));
          return true;
        },
        'JetStream after the restart',
        30_000,
      );
      // And the gateway's own connection, which reconnects on its own schedule.
      await waitFor(
        async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined),
        'the gateway ready again',
        30_000,
      );
      for (const id of ids) {
        const bytes = encodeEnvelope(envelopeFromJson(asJson(validRouteReportEnvelope({ id }))));
        await publishDurably(bus.js, Subjects.deliver('emlo-ne'), bytes, {
          msgID: `${id}:emlo-ne`,
          headers: signDelivery(router, id, 'emlo-ne', bytes, 'delivered'),
        });
      }
      // Someone else's inbox, which emlo-ne's token must never reach.
      const otherId = uuidv7();
      const other = encodeEnvelope(envelopeFromJson(asJson(validRouteReportEnvelope({ id: otherId }))));
      await publishDurably(bus.js, Subjects.deliver('cp-it'), other, {
        msgID: 'cp-it-item',
        headers: signDelivery(router, otherId, 'cp-it', other, 'delivered'),
      });
    });

    it('returns the items after a position, page by page, as envelopes with their hashes', async () => {
      const first = await read('?limit=2');
      expect(first.status).toBe(200);
      const page = (await first.json()) as {
        items: { seq: number; sha256: string; vouched: boolean; envelope: { id: string } }[];
        nextAfter: number;
      };
      expect(page.items.map((i) => i.envelope.id)).toEqual(ids.slice(0, 2));
      expect(page.items.map((i) => i.vouched)).toEqual([true, true]);
      expect(page.items[0].sha256).toMatch(/^[0-9a-f]{64}$/);
      const second = (await (await read(`?after=${page.nextAfter}&limit=2`)).json()) as typeof page;
      expect(second.items.map((i) => i.envelope.id)).toEqual([ids[2]]);
      const empty = (await (await read(`?after=${second.nextAfter}`)).json()) as typeof page;
      expect(empty).toEqual({ items: [], nextAfter: second.nextAfter });
    });

    it('records each item read as a consultation by the officer, before answering', async () => {
      await read(`?after=0&limit=1`);
      const m = await bus.jsm.streams.getMessage(Streams.audit, {
        last_by_subj: Subjects.audit('msx-gateway'),
      });
      const events = m!.header.has('Msx-Audit-Batch')
        ? decodeAuditEventBatch(m!.data)
        : [decodeAuditEvent(m!.data)];
      expect(events).toEqual([
        expect.objectContaining({
          operation: AuditOperation.CONSULTED,
          actorNode: 'emlo-ne',
          actorPerson: 'emlo-ne.officer-17',
          messageId: ids[0],
          rule: 'GATEWAY.INBOX_READ',
        }),
      ]);
    });

    it("reads only the token's own node: no parameter reaches another inbox", async () => {
      const all = (await (await read('?limit=100&node=cp-it')).json()) as {
        items: { envelope: { id: string } }[];
      };
      expect(all.items.map((i) => i.envelope.id)).toEqual(ids);
    });

    it('shows a junk entry and a copy not vouched for beside a vouched item, without contents, and audits only the vouched one', async () => {
      const read = (query: string) =>
        fetch(`${base}/v1/inbox${query}`, {
          headers: { authorization: `Bearer ${CP_GR_TOKEN}`, 'x-msx-officer': 'cp-gr.officer-3' },
        });
      const junk = new TextEncoder().encode('junk the broker was made to write');
      await publishDurably(bus.js, Subjects.deliver('cp-gr'), junk, { msgID: 'cp-gr-junk' });
      const goodId = uuidv7();
      const good = encodeEnvelope(envelopeFromJson(asJson(validRouteReportEnvelope({ id: goodId }))));
      await publishDurably(bus.js, Subjects.deliver('cp-gr'), good, {
        msgID: `${goodId}:cp-gr`,
        headers: signDelivery(router, goodId, 'cp-gr', good, 'delivered'),
      });
      // A real envelope, vouched for another node: its contents must not be shown either.
      const strayId = uuidv7();
      const stray = encodeEnvelope(
        envelopeFromJson(asJson(validRouteReportEnvelope({ id: strayId, purpose: 'stray-purpose-text' }))),
      );
      await publishDurably(bus.js, Subjects.deliver('cp-gr'), stray, {
        msgID: `${strayId}:cp-gr`,
        headers: signDelivery(router, strayId, 'cp-it', stray, 'delivered'),
      });

      const res = await read('?limit=10');
      expect(res.status).toBe(200);
      const text = await res.text();
      const page = JSON.parse(text) as { items: Record<string, unknown>[]; nextAfter: number };
      expect(page.items).toEqual([
        {
          seq: expect.any(Number),
          deliveredAt: expect.any(String),
          sha256: sha256Hex(junk),
          vouched: false,
          refusal: { code: 'DELIVERY.UNSIGNED', reason: expect.stringMatching(/not an MSX envelope/) },
        },
        {
          seq: expect.any(Number),
          deliveredAt: expect.any(String),
          sha256: sha256Hex(good),
          vouched: true,
          envelope: expect.objectContaining({ id: goodId }),
        },
        {
          seq: expect.any(Number),
          deliveredAt: expect.any(String),
          sha256: sha256Hex(stray),
          vouched: false,
          refusal: { code: 'DELIVERY.BAD_SIGNATURE', reason: expect.any(String) },
        },
      ]);
      expect(text).not.toContain(strayId);
      expect(text).not.toContain('stray-purpose-text');
      expect(page.nextAfter).toBe(page.items[2].seq);
      const m = await bus.jsm.streams.getMessage(Streams.audit, {
        last_by_subj: Subjects.audit('msx-gateway'),
      });
      const events = m!.header.has('Msx-Audit-Batch')
        ? decodeAuditEventBatch(m!.data)
        : [decodeAuditEvent(m!.data)];
      expect(events).toEqual([
        expect.objectContaining({
          operation: AuditOperation.CONSULTED,
          actorNode: 'cp-gr',
          actorPerson: 'cp-gr.officer-3',
          messageId: goodId,
        }),
      ]);
    });

    it('requires the officer and sensible paging, naming the problem', async () => {
      const noOfficer = await fetch(`${base}/v1/inbox`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(noOfficer.status).toBe(400);
      expect(await noOfficer.json()).toMatchObject({
        code: 'GATEWAY.INVALID_QUERY',
        detail: expect.stringMatching(/x-msx-officer/),
      });
      const badLimit = await read('?limit=1000');
      expect(badLimit.status).toBe(400);
      expect(await badLimit.json()).toMatchObject({
        detail: expect.stringMatching(/limit must be an integer from 1 to 100/),
      });
      expect(
        (await fetch(`${base}/v1/inbox`, { headers: { 'x-msx-officer': 'emlo-ne.officer-17' } })).status,
      ).toBe(401);
    });
  });
});
