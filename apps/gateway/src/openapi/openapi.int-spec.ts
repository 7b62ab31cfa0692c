import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '#config';
import { auditStream, connectBus, ensureStream } from '#messaging';
import { createTestSchema, startNatsServer, type TestNatsServer, type TestSchema } from '#testing';
import { gatewayAdapter } from '../gateway-adapter.js';
import { gatewaySpec } from '../gateway.config.js';
import { GatewayModule } from '../gateway.module.js';
import { SECURITY_HEADERS } from '../http/security-headers.js';
import { openApiText } from './describe-gateway.js';
import { DOCS_PAGE_CSP } from './docs.controller.js';
import { buildOpenApiDocument } from './openapi-document.js';

describe('the gateway serves its API description', () => {
  let nats: TestNatsServer;
  let db: TestSchema;
  let keyDir: string;
  let app: NestFastifyApplication;
  let base: string;

  beforeAll(async () => {
    nats = await startNatsServer();
    // Where the gateway records the refusal of a request without a credential.
    const bus = await connectBus({ servers: nats.url, name: 'gateway-openapi-test' });
    await ensureStream(bus.jsm, auditStream());
    await bus.close();
    db = await createTestSchema('gateway_openapi');
    keyDir = mkdtempSync(join(tmpdir(), 'msx-gateway-openapi-'));
    const routerKeyFile = join(keyDir, 'router.pub.pem');
    writeFileSync(
      routerKeyFile,
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const config = loadConfig(gatewaySpec, {
      MSX_NATS_URL: nats.url,
      MSX_DATABASE_URL: db.url,
      MSX_DATABASE_SCHEMA: db.schema,
      MSX_ROUTER_KEY_FILE: routerKeyFile,
      MSX_GATEWAY_TOKENS: 'emlo-ne=emlo-ne-test-token-0123456789abcdef',
      MSX_LOG_LEVEL: 'error',
    });
    app = await NestFactory.create<NestFastifyApplication>(
      GatewayModule.forRoot(config),
      gatewayAdapter(config),
      {
        logger: ['error'],
        rawBody: true,
        abortOnError: false,
      },
    );
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await nats?.dispose();
    await db?.drop();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  it('at /docs/openapi.json and /docs, without a credential, with a page policy of its own for /docs alone', async () => {
    // The document the running gateway describes is the one `npm run openapi` writes.
    const document = await fetch(`${base}/docs/openapi.json`);
    expect(document.status).toBe(200);
    expect(document.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(document.headers.get('content-security-policy')).toBe(SECURITY_HEADERS['content-security-policy']);
    expect(await document.text()).toBe(openApiText(await buildOpenApiDocument()));

    const page = await fetch(`${base}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(DOCS_PAGE_CSP);
    expect(DOCS_PAGE_CSP).toContain("script-src 'self'");
    expect(DOCS_PAGE_CSP).not.toContain('unsafe');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).not.toMatch(/<script>|<style|style=/);

    // Every script and style the page names is served, under the gateway's own strict policy.
    const assets = [...html.matchAll(/(?:src|href)="(docs\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(['docs/swagger-ui.css', 'docs/swagger-ui-bundle.js', 'docs/docs.js']);
    for (const asset of assets) {
      const answer = await fetch(`${base}/${asset}`);
      expect([asset, answer.status]).toEqual([asset, 200]);
      expect(answer.headers.get('content-type')).toMatch(/^text\/(css|javascript); charset=utf-8$/);
      expect(answer.headers.get('content-security-policy')).toBe(SECURITY_HEADERS['content-security-policy']);
      expect((await answer.text()).length).toBeGreaterThan(100);
    }

    // The API and the probes keep the gateway's own policy.
    for (const path of ['/v1/inbox', '/healthz', '/docs/unknown']) {
      const answer = await fetch(`${base}${path}`);
      expect([path, answer.headers.get('content-security-policy')]).toEqual([
        path,
        SECURITY_HEADERS['content-security-policy'],
      ]);
    }
  });
});
