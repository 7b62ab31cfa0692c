/**
 * `npm run openapi`: writes `docs/openapi.json`, the OpenAPI description of the gateway's HTTP API, from the
 * gateway's routes as they are now. Needs no NATS or PostgreSQL: the gateway's module is only scanned, in
 * Nest's preview mode, never started. The unit test `apps/gateway/src/openapi/openapi-document.spec.ts`
 * fails while the committed file differs from what this writes.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@nestjs/common';
import { openApiText } from '../apps/gateway/src/openapi/describe-gateway.js';
import { buildOpenApiDocument } from '../apps/gateway/src/openapi/openapi-document.js';

/** The checkout: this script runs as dist/scripts/openapi.js. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILE = join(ROOT, 'docs', 'openapi.json');

// The preview's notices ("running in the PREVIEW mode") are Nest's, not this command's.
Logger.overrideLogger(false);
const document = await buildOpenApiDocument();
mkdirSync(dirname(FILE), { recursive: true });
writeFileSync(FILE, openApiText(document));
const operations = Object.values(document.paths).reduce((n, item) => n + Object.keys(item).length, 0);
process.stderr.write(`wrote ${relative(process.cwd(), FILE) || FILE}: ${operations} operations\n`);
