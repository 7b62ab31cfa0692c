import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { encodeAuditStatus, newAuditStatus } from '#contracts';
import { loadConfig } from '#config';
import { AuditRepository, openAuditStore } from '#audit-store';
import {
  auditConsumer,
  auditStream,
  connectBus,
  ensureConsumer,
  ensureStream,
  Subjects,
  type Bus,
} from '#messaging';
import { CredentialStore, defaultCredentialSchema, type CredentialRole } from '#identity';
import { createTestSchema, startNatsServer, type TestNatsServer, type TestSchema } from '#testing';
import { gatewaySpec } from '../gateway.config.js';
import { GatewayModule } from '../gateway.module.js';
import { CONSOLE_CSP, consoleDir } from './console-assets.js';

const SYSTEM_TOKEN = 'emlo-ne-system-token-0123456789abcdef';
const AUDITOR_TOKEN = 'edps-auditor-2-token-0123456789abcdef';
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * What the console needs of the gateway, on real NATS and PostgreSQL: its page and assets, each with the
 * console's own content policy and no credential, while every other route keeps the closed one; and
 * `GET /v1/me`, which tells any valid credential who it is. The console must be built (npm run build).
 */
describe('the console at the gateway', () => {
  let nats: TestNatsServer;
  let bus: Bus;
  let db: TestSchema;
  let auditDs: DataSource;
  let store: CredentialStore;
  let app: NestFastifyApplication;
  let base: string;
  let keyDir: string;
  const token: Partial<Record<CredentialRole, string>> = {};
  const expiry: Partial<Record<CredentialRole, Date>> = {};

  beforeAll(async () => {
    if (!existsSync(join(consoleDir(import.meta.url), 'index.html')))
      throw new Error('build the console first: npm run build');
    nats = await startNatsServer();
    db = await createTestSchema('gateway_console');
    bus = await connectBus({ servers: nats.url, name: 'gateway-console-test' });
    await ensureStream(bus.jsm, auditStream());
    await ensureConsumer(bus.jsm, auditConsumer());
    bus.nc.subscribe(Subjects.auditStatusRequest, {
      callback: (_err, msg) => {
        msg.respond(encodeAuditStatus(newAuditStatus({ databaseReachable: true, atMs: Date.now() })));
      },
    });
    auditDs = await openAuditStore({ url: db.url, schema: db.schema });
    store = await CredentialStore.open({ url: db.url, schema: defaultCredentialSchema(db.schema) });
    keyDir = mkdtempSync(join(tmpdir(), 'msx-gateway-console-'));
    const routerKeyFile = join(keyDir, 'router.pub.pem');
    const { publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(routerKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    const config = loadConfig(gatewaySpec, {
      MSX_NATS_URL: nats.url,
      MSX_DATABASE_URL: db.url,
      MSX_DATABASE_SCHEMA: db.schema,
      MSX_ROUTER_KEY_FILE: routerKeyFile,
      MSX_GATEWAY_TOKENS: `emlo-ne=${SYSTEM_TOKEN}`,
      MSX_AUDITOR_TOKENS: `edps.auditor-2=${AUDITOR_TOKEN}`,
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
    const people: [string, CredentialRole][] = [
      ['cp-it.officer-5', 'officer'],
      ['edps.auditor-1', 'auditor'],
      ['msx.admin-2', 'admin'],
    ];
    for (const [person, role] of people) {
      const issued = await store.issue(
        { person, node: person.slice(0, person.indexOf('.')), role, issuedBy: 'msx.admin-1' },
        new AuditRepository(auditDs),
        (id) => id === 'cp-it',
      );
      token[role] = issued.token;
      expiry[role] = issued.credential.expiresAt;
    }
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
    await auditDs?.destroy();
    await bus?.close();
    await nats?.dispose();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
    await db?.drop();
  });

  const get = (path: string, bearer?: string) =>
    fetch(`${base}${path}`, {
      redirect: 'manual',
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    });

  describe('GET /console/', () => {
    it.each([
      ['/console/', /^text\/html/, '<html lang="en">'],
      ['/console/app.js', /^text\/javascript/, 'sessionStorage'],
      ['/console/app.css', /^text\/css/, ':focus-visible'],
    ])(
      'serves %s without a credential, under the console’s own content policy',
      async (path, type, holds) => {
        const res = await get(path);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(type);
        expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(await res.text()).toContain(holds);
      },
    );

    it('sends /console to /console/, so that the page’s relative links resolve', async () => {
      const res = await get('/console');
      expect([res.status, res.headers.get('location')]).toEqual([308, '/console/']);
    });

    it.each(['/console/index.html', '/console/..%2fpackage.json', '/console/app.js/x', '/consoles/'])(
      'serves nothing else: %s is 404 under the closed policy',
      async (path) => {
        const res = await get(path);
        expect(res.status).toBe(404);
        expect(res.headers.get('content-security-policy')).toBe(API_CSP);
      },
    );

    it('leaves the closed policy on every other route, the API included', async () => {
      for (const [path, bearer] of [
        ['/healthz', undefined],
        ['/v1/me', token.officer],
        ['/v1/me', undefined],
      ] as const)
        expect((await get(path, bearer)).headers.get('content-security-policy')).toBe(API_CSP);
    });
  });

  describe('GET /v1/me', () => {
    it.each([
      ['officer', 'cp-it.officer-5', 'cp-it'],
      ['auditor', 'edps.auditor-1', 'edps'],
      ['admin', 'msx.admin-2', 'msx'],
    ] as const)('tells an %s who they are, and until when', async (role, person, node) => {
      const res = await get('/v1/me', token[role]);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ person, node, role, expiresAt: expiry[role]!.toISOString() });
    });

    it("tells a node's system credential and a configured auditor token who they are, with no expiry", async () => {
      expect(await (await get('/v1/me', SYSTEM_TOKEN)).json()).toEqual({
        person: null,
        node: 'emlo-ne',
        role: 'system',
        expiresAt: null,
      });
      expect(await (await get('/v1/me', AUDITOR_TOKEN)).json()).toEqual({
        person: 'edps.auditor-2',
        node: 'edps',
        role: 'auditor',
        expiresAt: null,
      });
    });

    it('refuses a missing or unknown credential with 401', async () => {
      for (const bearer of [undefined, `msx_${'A'.repeat(43)}`]) {
        const res = await get('/v1/me', bearer);
        expect(res.status).toBe(401);
        expect(((await res.json()) as { code: string }).code).toBe('GATEWAY.UNAUTHENTICATED');
      }
    });
  });
});
