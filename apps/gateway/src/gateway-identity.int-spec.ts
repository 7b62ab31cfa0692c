import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import {
  AuditOperation,
  deliverySigner,
  encodeAuditStatus,
  encodeEnvelope,
  envelopeFromJson,
  newAuditStatus,
  signDelivery,
  uuidv7,
  type AuditEvent,
} from '#contracts';
import { loadConfig } from '#config';
import { AuditRepository, openAuditStore } from '#audit-store';
import {
  auditConsumer,
  auditStream,
  connectBus,
  ensureConsumer,
  ensureStream,
  inboxStream,
  publishDurably,
  Subjects,
  type Bus,
} from '#messaging';
import { publishAuditStatus } from '#runtime';
import {
  asJson,
  createTestSchema,
  publishedAuditEvents,
  startNatsServer,
  submittedBy,
  validRouteReportEnvelope,
  waitFor,
  type TestNatsServer,
  type TestSchema,
} from '#testing';
import { gatewaySpec } from './gateway.config.js';
import { GatewayModule } from './gateway.module.js';
import { CredentialStore, defaultCredentialSchema, type CredentialRole } from '#identity';

const SYSTEM_TOKEN = 'emlo-ne-system-token-0123456789abcdef';
const FAILURE_LIMIT = 6;
const WINDOW_MS = 4_000;
const PREVIEW_LIMIT = 3;
const routerKeys = generateKeyPairSync('ed25519');
const router = deliverySigner(routerKeys.privateKey);

/**
 * People's credentials at the gateway, on real NATS and PostgreSQL: an officer acts as themselves whatever
 * the request says; each role reaches only its endpoints; expired and revoked credentials are refused at
 * once; repeated refusals are held off (429) and reach the audit trail as summaries, not one row each.
 */
describe('gateway credentials issued to people', () => {
  let nats: TestNatsServer;
  let bus: Bus;
  let db: TestSchema;
  let auditDs: DataSource;
  let store: CredentialStore;
  let app: NestFastifyApplication;
  let base: string;
  let heartbeat: NodeJS.Timeout;
  let keyDir: string;
  const token: Partial<Record<string, string>> = {};

  const issue = async (person: string, role: CredentialRole, expiresAt?: Date) => {
    const node = person.slice(0, person.indexOf('.'));
    return store.issue(
      { person, node, role, issuedBy: 'msx.admin-1', ...(expiresAt ? { expiresAt } : {}) },
      new AuditRepository(auditDs),
      (id) => ['emlo-ne', 'cp-it'].includes(id),
    );
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    db = await createTestSchema('gateway_identity');
    bus = await connectBus({ servers: nats.url, name: 'gateway-identity-test' });
    await ensureStream(bus.jsm, auditStream());
    await ensureConsumer(bus.jsm, auditConsumer());
    for (const node of ['emlo-ne', 'cp-it']) await ensureStream(bus.jsm, inboxStream(node));
    const status = () => newAuditStatus({ databaseReachable: true, atMs: Date.now() });
    bus.nc.subscribe(Subjects.auditStatusRequest, {
      callback: (_err, msg) => {
        msg.respond(encodeAuditStatus(status()));
      },
    });
    heartbeat = setInterval(() => {
      if (!bus.nc.isClosed()) publishAuditStatus(bus.nc, status());
    }, 500);
    auditDs = await openAuditStore({ url: db.url, schema: db.schema });
    store = await CredentialStore.open({ url: db.url, schema: defaultCredentialSchema(db.schema) });
    keyDir = mkdtempSync(join(tmpdir(), 'msx-gateway-identity-'));
    const routerKeyFile = join(keyDir, 'router.pub.pem');
    writeFileSync(routerKeyFile, routerKeys.publicKey.export({ type: 'spki', format: 'pem' }));
    const config = loadConfig(gatewaySpec, {
      MSX_NATS_URL: nats.url,
      MSX_DATABASE_URL: db.url,
      MSX_DATABASE_SCHEMA: db.schema,
      MSX_ROUTER_KEY_FILE: routerKeyFile,
      MSX_GATEWAY_TOKENS: `emlo-ne=${SYSTEM_TOKEN}`,
      // Every request asks the database, so a revocation shows at once.
      MSX_CREDENTIAL_CACHE_MS: '0',
      MSX_GATEWAY_FAILURE_LIMIT: String(FAILURE_LIMIT),
      MSX_GATEWAY_FAILURE_WINDOW_MS: String(WINDOW_MS),
      MSX_GATEWAY_PREVIEW_LIMIT: String(PREVIEW_LIMIT),
      MSX_LOG_LEVEL: 'error',
    });
    app = await NestFactory.create<NestFastifyApplication>(
      GatewayModule.forRoot(config),
      new FastifyAdapter(),
      {
        logger: ['error'],
        rawBody: true,
        abortOnError: false,
      },
    );
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    token.officer = (await issue('emlo-ne.officer-17', 'officer')).token;
    token.colleague = (await issue('emlo-ne.officer-18', 'officer')).token;
    token.cpIt = (await issue('cp-it.officer-1', 'officer')).token;
    token.auditor = (await issue('edps.auditor-1', 'auditor')).token;
    token.admin = (await issue('msx.admin-2', 'admin')).token;
  });

  afterAll(async () => {
    clearInterval(heartbeat);
    await app?.close();
    await store?.close();
    await auditDs?.destroy();
    await bus?.close();
    await nats?.dispose();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
    await db?.drop();
  });

  const submit = (bearer: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...headers,
      },
      body: JSON.stringify(body),
    });
  const inbox = (bearer: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/inbox`, { headers: { authorization: `Bearer ${bearer}`, ...headers } });
  const trail = (bearer: string) =>
    fetch(`${base}/v1/audit/messages/${uuidv7()}/trail`, {
      headers: { authorization: `Bearer ${bearer}`, 'x-msx-justification': 'case 2026/17' },
    });
  const report = (over: Record<string, unknown> = {}) => {
    const { author: _author, ...rest } = asJson(validRouteReportEnvelope({ id: uuidv7() })) as Record<
      string,
      unknown
    >;
    return { ...rest, ...over };
  };
  const gatewayEvents = () => publishedAuditEvents(bus, 'msx-gateway');

  /** A GET from another loopback address (127.0.0.x): a caller the gateway tells apart by its address. */
  const call = (from: string, path: string, bearer: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number }>((resolve, reject) => {
      const { port } = new URL(base);
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: Number(port),
          path,
          localAddress: from,
          headers: { authorization: `Bearer ${bearer}`, 'x-msx-justification': 'case 2026/17', ...headers },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  it('records the officer of a personal credential as the author, whether the report names them or not', async () => {
    const unnamed = report();
    const named = report({ author: 'emlo-ne.officer-17' });
    expect((await submit(token.officer, unnamed)).status).toBe(202);
    expect((await submit(token.officer, named)).status).toBe(202);
    const published = await waitFor(async () => {
      const all = await submittedBy(bus, 'emlo-ne');
      const mine = all.filter((e) => e.id === unnamed.id || e.id === named.id);
      return mine.length === 2 ? mine : undefined;
    }, 'both reports on the submit stream');
    expect(published.map((e) => e.author)).toEqual(['emlo-ne.officer-17', 'emlo-ne.officer-17']);
  });

  it('refuses a personal credential naming another officer, even of its own node, and audits it under its holder', async () => {
    const res = await submit(token.officer, report({ author: 'emlo-ne.officer-18' }));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      code: 'GATEWAY.OFFICER_NOT_OF_NODE',
      violations: [{ field: 'author', rule: 'officerNotCredentialHolder' }],
    });
    const events = await gatewayEvents();
    expect(events.at(-1)).toMatchObject({
      operation: AuditOperation.REJECTED,
      actorNode: 'emlo-ne',
      actorPerson: 'emlo-ne.officer-17',
      rule: 'GATEWAY.OFFICER_NOT_OF_NODE',
    });
  });

  it('reads the inbox as the holder: no header is needed, and another officer named is refused', async () => {
    const id = uuidv7();
    const bytes = encodeEnvelope(envelopeFromJson(asJson(validRouteReportEnvelope({ id }))));
    await publishDurably(bus.js, Subjects.deliver('emlo-ne'), bytes, {
      msgID: `${id}:emlo-ne`,
      headers: signDelivery(router, id, 'emlo-ne', bytes, 'delivered'),
    });
    const res = await inbox(token.officer!);
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { items: { envelope: { id: string } }[] }).items.map((i) => i.envelope.id),
    ).toContain(id);
    const consulted = (await gatewayEvents()).filter(
      (e) => e.operation === AuditOperation.CONSULTED && e.messageId === id,
    );
    expect(consulted.map((e) => e.actorPerson)).toEqual(['emlo-ne.officer-17']);
    const other = await inbox(token.officer!, { 'x-msx-officer': 'emlo-ne.officer-18' });
    expect(other.status).toBe(403);
    // cp-it's officer reads cp-it's inbox only: the item delivered to emlo-ne is not there.
    const cpIt = (await (await inbox(token.cpIt!)).json()) as { items: { envelope?: { id: string } }[] };
    expect(cpIt.items.map((i) => i.envelope?.id)).not.toContain(id);
  });

  it.each<[string, 'submit' | 'inbox' | 'trail', number]>([
    ['officer', 'submit', 202],
    ['officer', 'inbox', 200],
    ['officer', 'trail', 403],
    ['system', 'submit', 202],
    ['system', 'trail', 403],
    ['auditor', 'submit', 403],
    ['auditor', 'inbox', 403],
    ['admin', 'submit', 403],
    ['admin', 'inbox', 403],
    ['admin', 'trail', 403],
  ])('an %s credential: %s answers %i', async (role, endpoint, status) => {
    const bearer = role === 'system' ? SYSTEM_TOKEN : token[role]!;
    const headers: Record<string, string> =
      role === 'system' ? { 'x-msx-officer': 'emlo-ne.officer-17' } : {};
    const res =
      endpoint === 'submit'
        ? await submit(bearer, report(role === 'system' ? { author: 'emlo-ne.officer-17' } : {}))
        : endpoint === 'inbox'
          ? await inbox(bearer, headers)
          : await trail(bearer);
    if (status === 403) expect(await res.json()).toMatchObject({ code: 'GATEWAY.FORBIDDEN' });
    expect(res.status).toBe(status);
  });

  it('lets an auditor credential past the gate of the trail (the query itself needs the audit service)', async () => {
    const res = await trail(token.auditor!);
    expect([200, 404, 503]).toContain(res.status);
    expect(res.status).not.toBe(403);
  });

  it('refuses an expired credential and a revoked one with 401 saying which, and revocation takes effect at once', async () => {
    const soon = await issue('emlo-ne.officer-30', 'officer', new Date(Date.now() + 1_500));
    expect((await submit(soon.token, report())).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1_600));
    const expired = await submit(soon.token, report());
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="msx"');
    expect(await expired.json()).toMatchObject({
      code: 'GATEWAY.UNAUTHENTICATED',
      detail: 'the credential has expired',
    });

    const { credential, token: revocable } = await issue('emlo-ne.officer-31', 'officer');
    expect((await inbox(revocable)).status).toBe(200);
    await store.revoke(credential.id, 'msx.admin-1', new AuditRepository(auditDs), 'left the post');
    const revoked = await inbox(revocable);
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toMatchObject({ detail: 'the credential has been revoked' });
  });

  describe('the live inbox', () => {
    /** Reads a Server-Sent Events stream until `until` holds of what came, or the stream ends. */
    async function collect(
      res: Response,
      until: (text: string) => boolean,
      timeoutMs = 20_000,
    ): Promise<string> {
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const deadline = Date.now() + timeoutMs;
      while (!until(text) && Date.now() < deadline) {
        const next = await Promise.race([
          reader.read(),
          new Promise<{ done: true; value: undefined }>((r) =>
            setTimeout(() => r({ done: true, value: undefined }), deadline - Date.now()),
          ),
        ]);
        if (next.done) break;
        text += decoder.decode(next.value, { stream: true });
      }
      await reader.cancel().catch(() => undefined);
      return text;
    }

    it('sends what arrives for the officer, resumes after the last event id, and ends when the credential is revoked', async () => {
      const { credential, token: live } = await issue('emlo-ne.officer-40', 'officer');
      const open = (headers: Record<string, string> = {}) =>
        fetch(`${base}/v1/inbox/live?after=1000000`, {
          headers: { authorization: `Bearer ${live}`, ...headers },
        });
      const res = await open();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');

      // Delivered after the stream opened: the router's copy of another node's report.
      const info = await bus.jsm.streams.info(inboxStream('emlo-ne').name);
      const id = uuidv7();
      const bytes = encodeEnvelope(
        envelopeFromJson(asJson(validRouteReportEnvelope({ id, sender: 'cp-it', recipients: ['emlo-ne'] }))),
      );
      const reopened = await open({ 'last-event-id': String(info.state.last_seq) });
      await publishDurably(bus.js, Subjects.deliver('emlo-ne'), bytes, {
        msgID: `${id}:emlo-ne`,
        headers: signDelivery(router, id, 'emlo-ne', bytes, 'delivered'),
      });
      const text = await collect(reopened, (t) => t.includes(id));
      expect(text.startsWith('retry: 3000\n\n')).toBe(true);
      const event = /id: (\d+)\nevent: item\ndata: (.*)\n\n/.exec(text.slice(text.indexOf('id: ')));
      expect(Number(event![1])).toBe(info.state.last_seq + 1);
      expect(JSON.parse(event![2])).toMatchObject({ vouched: true, envelope: { id, sender: 'cp-it' } });
      const consulted = await waitFor(async () => {
        const found = (await gatewayEvents()).filter(
          (e) => e.operation === AuditOperation.CONSULTED && e.messageId === id,
        );
        return found.length > 0 ? found : undefined;
      }, 'the consultation in the trail');
      expect(consulted.map((e) => e.actorPerson)).toEqual(['emlo-ne.officer-40']);
      // The first stream started after position 1000000: it has nothing of this.
      expect(await collect(res, () => false, 1_000)).not.toContain(id);

      const third = await open({ 'last-event-id': String(info.state.last_seq + 1) });
      await store.revoke(credential.id, 'msx.admin-1', new AuditRepository(auditDs), 'left the post');
      const ended = await collect(third, (t) => t.includes('event: end'), 15_000);
      expect(ended).toContain(
        'event: end\ndata: {"code":"GATEWAY.UNAUTHENTICATED","detail":"the credential has been revoked"}',
      );
      expect(ended).not.toContain(id);
    });

    it('refuses a last event id that is not a position', async () => {
      const res = await fetch(`${base}/v1/inbox/live`, {
        headers: { authorization: `Bearer ${token.officer}`, 'last-event-id': 'x' },
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'GATEWAY.INVALID_QUERY' });
    });
  });

  describe('repeated refusals', () => {
    it('hold an address off with 429 and Retry-After, even for a valid credential, and audit the flood as summaries', async () => {
      // The refusals of the tests before (an expired and a revoked credential) count in their window.
      await new Promise((r) => setTimeout(r, WINDOW_MS));
      const seen = new Set((await gatewayEvents()).map((e) => e.eventId));
      const bad = `msx_${'A'.repeat(43)}`;
      const answers: number[] = [];
      for (let i = 0; i < 40; i++) answers.push((await submit(bad, report())).status);
      expect(answers.slice(0, FAILURE_LIMIT)).toEqual(Array(FAILURE_LIMIT).fill(401));
      expect(new Set(answers.slice(FAILURE_LIMIT))).toEqual(new Set([429]));
      const held = await submit(bad, report());
      expect(held.status).toBe(429);
      const retryAfter = Number(held.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
      expect(await held.json()).toMatchObject({ code: 'GATEWAY.RATE_LIMITED' });
      // Valid credentials are served from the same address all along: the node's system token, and an
      // officer's credential the gateway has seen valid before.
      expect((await submit(SYSTEM_TOKEN, report({ author: 'emlo-ne.officer-17' }))).status).toBe(202);
      expect((await submit(token.officer, report())).status).toBe(202);

      // 41 refusals: each is in the trail, the first of each window as a row of its own, the rest counted in
      // a summary row (`repeated`).
      const detail = (e: AuditEvent) => JSON.parse(e.detailJson) as { repeated?: number; address?: string };
      const accounted = (events: AuditEvent[], rule: string) =>
        events.filter((e) => e.rule === rule).reduce((n, e) => n + (detail(e).repeated ?? 1), 0);
      const events = await waitFor(
        async () => {
          const fresh = (await gatewayEvents()).filter((e) => !seen.has(e.eventId));
          return accounted(fresh, 'GATEWAY.UNAUTHENTICATED') === FAILURE_LIMIT &&
            accounted(fresh, 'GATEWAY.RATE_LIMITED') === 41 - FAILURE_LIMIT
            ? fresh
            : undefined;
        },
        'every refusal accounted for in the trail',
        WINDOW_MS * 3,
      );
      expect(events.length).toBeLessThanOrEqual(8);
      expect(events.every((e) => e.operation === AuditOperation.REJECTED)).toBe(true);
      expect(events.map((e) => detail(e).address)).toEqual(events.map(() => '127.0.0.1'));
      expect(events.some((e) => (detail(e).repeated ?? 0) > 1)).toBe(true);

      // The window over, the valid credential is served again.
      await waitFor(
        async () => ((await inbox(token.officer!)).status === 200 ? true : undefined),
        'the address served again',
        WINDOW_MS * 2,
      );
    });

    it('hold a credential off that keeps calling what its role may not, from any address', async () => {
      await waitFor(
        async () => ((await inbox(token.colleague!)).status === 200 ? true : undefined),
        'a fresh window',
        WINDOW_MS * 2,
      );
      const answers: number[] = [];
      for (let i = 0; i < FAILURE_LIMIT + 2; i++) {
        const from = `127.0.0.${3 + (i % 2)}`;
        answers.push((await call(from, '/v1/audit/flows', token.colleague!)).status);
      }
      expect(answers).toEqual([...Array<number>(FAILURE_LIMIT).fill(403), 429, 429]);
      // Another officer of the node, on the same addresses, is not held off.
      expect((await call('127.0.0.3', '/v1/inbox', token.officer!)).status).toBe(200);
    });

    it('never hold off a valid credential for its address; a credential not seen before waits out the window', async () => {
      const from = '127.0.0.9';
      const statuses: number[] = [];
      for (let i = 0; i < FAILURE_LIMIT + 1; i++)
        statuses.push((await call(from, '/v1/inbox', `msx_${'B'.repeat(43)}`)).status);
      expect(statuses.at(-1)).toBe(429);
      expect((await call(from, '/v1/inbox', token.officer!)).status).toBe(200);
      expect(
        (await call(from, '/v1/inbox', SYSTEM_TOKEN, { 'x-msx-officer': 'emlo-ne.officer-17' })).status,
      ).toBe(200);
      // Never used before: not asked about in the database while the address is held off.
      const fresh = (await issue('emlo-ne.officer-50', 'officer')).token;
      expect((await call(from, '/v1/inbox', fresh)).status).toBe(429);
      expect((await call('127.0.0.10', '/v1/inbox', fresh)).status).toBe(200);
    });

    it('refuses a stranger before reading the body: 401, never 415 or 400', async () => {
      const text = await fetch(`${base}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'Mario Rossi +393331234567',
      });
      expect(text.status).toBe(401);
      const junk = await fetch(`${base}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
        body: '{"not json',
      });
      expect(junk.status).toBe(401);
    });
  });

  it('holds off a person who asks for more previews than a window allows, audited under the person, and not their colleague', async () => {
    const seen = new Set((await gatewayEvents()).map((e) => e.eventId));
    const preview = (bearer: string) =>
      fetch(`${base}/v1/messages/preview`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify(report()),
      });
    // No router runs here: a preview within the budget gets as far as asking it (503), past it not at all.
    const within: number[] = [];
    for (let i = 0; i < PREVIEW_LIMIT; i++) within.push((await preview(token.officer!)).status);
    expect(within).toEqual(Array<number>(PREVIEW_LIMIT).fill(503));
    const held = await preview(token.officer!);
    expect(held.status).toBe(429);
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    const problem = (await held.json()) as { code: string; detail: string };
    expect(problem.code).toBe('GATEWAY.RATE_LIMITED');
    expect(problem.detail).toContain('MSX_GATEWAY_PREVIEW_LIMIT');
    // The same person is not held off from anything else, and another person may still preview (whatever
    // else they are answered for a report of emlo-ne's, it is not that they are held off).
    expect((await inbox(token.officer!)).status).toBe(200);
    const other = await preview(token.cpIt!);
    expect(other.status).not.toBe(429);
    expect(((await other.json()) as { code: string }).code).not.toBe('GATEWAY.RATE_LIMITED');
    const refused = await waitFor(
      async () =>
        (await gatewayEvents()).find(
          (e) =>
            !seen.has(e.eventId) &&
            e.rule === 'GATEWAY.RATE_LIMITED' &&
            e.actorPerson === 'emlo-ne.officer-17',
        ),
      'the held-off preview in the trail',
    );
    expect(refused.operation).toBe(AuditOperation.REJECTED);
    expect(refused.actorPerson).toBe('emlo-ne.officer-17');
    expect(JSON.parse(refused.detailJson)).toMatchObject({ status: 429, path: '/v1/messages/preview' });
  });
});
