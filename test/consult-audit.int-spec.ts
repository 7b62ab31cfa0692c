import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestMicroservice } from '@nestjs/common';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditOperation, HandlingCode, nameBasedId, newAuditEvent, uuidv7 } from '#contracts';
import { loadConfig, databaseSpec, logSpec, natsSpec } from '#config';
import { checkpointSpec } from '../apps/audit/src/audit.config.js';
import { connectBus, publishAuditEvent, type Bus } from '#messaging';
import {
  createTestSchema,
  startNatsServer,
  waitFor,
  type TestNatsServer,
  type TestSchema,
  asJson,
  validRouteReportEnvelope,
} from '#testing';
import { AuditModule } from '../apps/audit/src/audit.module.js';
import { loadGatewayConfig } from '../apps/gateway/src/gateway.config.js';
import { GatewayModule } from '../apps/gateway/src/gateway.module.js';

const NODE_TOKEN = 'emlo-ne-test-token-0123456789abcdef';
const AUDITOR = 'edps.auditor-1';
const AUDITOR_TOKEN = 'edps-auditor-test-token-0123456789abcdef';

interface Row {
  seq: string;
  operation: string;
  actorNode: string;
  actorPerson: string | null;
  counterpartNode: string | null;
  justification: string | null;
  detail: Record<string, unknown>;
}
interface PageBody<T = Row> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Auditors read the trail over HTTP: the gateway asks the audit service over NATS request/reply, and the
 * audit service reads PostgreSQL. Both run in this process, on a private nats-server and an own schema.
 */
describe('auditors consult the audit trail through the gateway', () => {
  let nats: TestNatsServer;
  let db: TestSchema;
  let bus: Bus;
  let audit: INestMicroservice;
  let gateway: NestFastifyApplication;
  let base: string;
  const messageId = uuidv7();
  let keyDir: string;
  let routerKeyFile: string;

  beforeAll(async () => {
    nats = await startNatsServer();
    db = await createTestSchema('consult_audit');
    bus = await connectBus({ servers: nats.url, name: 'consult-audit-test' });
    const auditConfig = loadConfig(
      { ...natsSpec, ...logSpec, ...databaseSpec, ...checkpointSpec },
      { MSX_NATS_URL: nats.url, MSX_DATABASE_URL: db.url, MSX_DATABASE_SCHEMA: db.schema },
    );
    audit = await NestFactory.createMicroservice<MicroserviceOptions>(AuditModule.forRoot(auditConfig), {
      transport: Transport.NATS,
      options: { servers: [nats.url] },
      logger: ['error'],
    });
    await audit.listen();
    keyDir = mkdtempSync(join(tmpdir(), 'msx-consult-'));
    routerKeyFile = join(keyDir, 'router.pub.pem');
    const { publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(routerKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    const config = loadGatewayConfig({
      MSX_NATS_URL: nats.url,
      MSX_DATABASE_URL: db.url,
      MSX_DATABASE_SCHEMA: db.schema,
      MSX_ROUTER_KEY_FILE: routerKeyFile,
      MSX_GATEWAY_TOKENS: `emlo-ne=${NODE_TOKEN}`,
      MSX_AUDITOR_TOKENS: `${AUDITOR}=${AUDITOR_TOKEN}`,
      MSX_LOG_LEVEL: 'error',
    });
    gateway = await NestFactory.create<NestFastifyApplication>(
      GatewayModule.forRoot(config),
      new FastifyAdapter(),
      {
        logger: ['error'],
        rawBody: true,
        abortOnError: false,
      },
    );
    await gateway.listen(0, '127.0.0.1');
    base = await gateway.getUrl();
    const recipients = ['cp-it', 'jot-mare', 'afic', 'cp-gr'];
    for (const [i, op] of [
      AuditOperation.SUBMITTED,
      ...recipients.map(() => AuditOperation.DELIVERED),
    ].entries()) {
      await publishAuditEvent(
        bus.js,
        'msx-router',
        newAuditEvent({
          eventId: nameBasedId(messageId, String(i)),
          operation: op,
          actorNode: 'emlo-ne',
          actorPerson: 'emlo-ne.officer-17',
          counterpartNode: i === 0 ? '' : recipients[i - 1],
          messageId,
          messageType: 'routeReport',
          handlingCode: HandlingCode.H1,
        }),
      );
    }
  });

  afterAll(async () => {
    await gateway?.close();
    await audit?.close();
    await bus?.close();
    await nats?.dispose();
    await db?.drop();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
  const asAuditor = (path: string, justification = 'DPO review 2026/17 of a complaint') =>
    get(path, { authorization: `Bearer ${AUDITOR_TOKEN}`, 'x-msx-justification': justification });

  const trailRows = () =>
    db.query<{
      operation: string;
      actor_person: string;
      justification: string;
      detail: Record<string, unknown>;
    }>(
      `SELECT operation, actor_person, justification, detail FROM "${db.schema}".audit_entry
        WHERE message_id = $1 AND operation = 'consulted' ORDER BY seq`,
      [messageId],
    );

  it('pages through the trail of a message with a cursor, and records each read with the auditor and justification', async () => {
    await waitFor(async () => {
      const res = await asAuditor(`/v1/audit/messages/${messageId}/trail`, 'waiting for the trail');
      const body = (await res.json()) as PageBody;
      return body.items.length >= 5 ? body : undefined;
    }, 'the five events recorded');
    const first = await asAuditor(`/v1/audit/messages/${messageId}/trail?limit=2`);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const page1 = (await first.json()) as PageBody;
    expect(page1.items.map((r) => r.operation)).toEqual(['submitted', 'delivered']);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = (await (
      await asAuditor(`/v1/audit/messages/${messageId}/trail?limit=2&cursor=${page1.nextCursor}`)
    ).json()) as PageBody;
    expect(page2.items.map((r) => r.counterpartNode)).toEqual(['jot-mare', 'afic']);
    expect(BigInt(page2.items[0].seq)).toBeGreaterThan(BigInt(page1.items[1].seq));

    const consulted = await waitFor(async () => {
      const rows = (await trailRows()).filter((r) => r.justification === 'DPO review 2026/17 of a complaint');
      return rows.length >= 2 ? rows : undefined;
    }, 'the consultations in the trail');
    expect(consulted).toEqual([
      expect.objectContaining({
        actor_person: AUDITOR,
        detail: expect.objectContaining({ query: 'trail', returned: 2 }),
      }),
      expect.objectContaining({
        actor_person: AUDITOR,
        detail: expect.objectContaining({ query: 'trail', returned: 2 }),
      }),
    ]);
    // The auditors' own reads are part of the message's trail.
    const all = (await (
      await asAuditor(`/v1/audit/messages/${messageId}/trail?limit=1000`)
    ).json()) as PageBody;
    expect(all.items.filter((r) => r.operation === 'consulted').length).toBeGreaterThanOrEqual(2);
  });

  it('counts flows between two parties over a period, and lists an officer’s activity', async () => {
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const flows = await asAuditor(`/v1/audit/flows?from=emlo-ne&to=cp-it&since=${since}&until=${until}`);
    expect(flows.status).toBe(200);
    expect(((await flows.json()) as PageBody).items).toEqual([
      { operation: 'delivered', messageType: 'routeReport', handlingCode: 'H1', count: 1 },
    ]);
    const activity = await asAuditor('/v1/audit/officers/emlo-ne.officer-17/activity?limit=3');
    const body = (await activity.json()) as PageBody;
    expect(body.items).toHaveLength(3);
    expect(body.items.every((r) => r.actorPerson === 'emlo-ne.officer-17')).toBe(true);
    expect(body.nextCursor).toEqual(expect.any(String));
  });

  it('requires a justification', async () => {
    const none = await get(`/v1/audit/messages/${messageId}/trail`, {
      authorization: `Bearer ${AUDITOR_TOKEN}`,
    });
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ code: 'AUDIT.JUSTIFICATION_REQUIRED' });
    const tooLong = await asAuditor(`/v1/audit/messages/${messageId}/trail`, 'x'.repeat(501));
    expect(tooLong.status).toBe(400);
  });

  it('answers a malformed query with 400 naming the field', async () => {
    const res = await asAuditor(
      '/v1/audit/flows?from=emlo-ne&to=cp-it&since=yesterday&until=2026-12-01T00:00:00Z',
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe('AUDIT.QUERY_INVALID');
    expect(body.detail).toMatch(/since: must be an RFC 3339 time/);
    const badCursor = await asAuditor(`/v1/audit/messages/${messageId}/trail?cursor=not-a-cursor`);
    expect(await badCursor.json()).toMatchObject({ code: 'AUDIT.QUERY_INVALID' });
  });

  it('keeps node tokens out of the audit trail and auditor tokens out of submissions', async () => {
    const node = await get(`/v1/audit/messages/${messageId}/trail`, {
      authorization: `Bearer ${NODE_TOKEN}`,
      'x-msx-justification': 'curious',
    });
    expect(node.status).toBe(403);
    expect(await node.json()).toMatchObject({ code: 'GATEWAY.FORBIDDEN' });
    const nobody = await get(`/v1/audit/messages/${messageId}/trail`, { 'x-msx-justification': 'curious' });
    expect(nobody.status).toBe(401);
    const submit = await fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${AUDITOR_TOKEN}` },
      body: JSON.stringify(asJson(validRouteReportEnvelope())),
    });
    expect(submit.status).toBe(403);
    expect(await submit.json()).toMatchObject({ code: 'GATEWAY.FORBIDDEN' });
  });

  it('refuses a configuration where an auditor token is also a node token', () => {
    expect(() =>
      loadGatewayConfig({
        MSX_ROUTER_KEY_FILE: routerKeyFile,
        MSX_GATEWAY_TOKENS: `emlo-ne=${NODE_TOKEN}`,
        MSX_AUDITOR_TOKENS: `${AUDITOR}=${NODE_TOKEN}`,
      }),
    ).toThrow(/the token of edps.auditor-1 is also a node token/);
  });
});
