import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Controller, Get, Res } from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { describeGateway, openApiText } from './describe-gateway.js';

/**
 * The page's own policy, for this one answer: scripts, styles and the document from the gateway itself
 * (Swagger UI draws its icons from data: URIs); nothing inline, nothing from elsewhere, never framed. Every
 * other answer keeps the gateway's `default-src 'none'`.
 */
export const DOCS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Paths relative to /docs itself, so that the page works behind a proxy that adds a prefix.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MSX gateway API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<main id="swagger-ui"></main>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/docs.js"></script>
</body>
</html>
`;

/** Starts Swagger UI on the document; a file of its own, since the page runs no inline script. */
const START = `SwaggerUIBundle({
  url: 'docs/openapi.json',
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  deepLinking: true,
  validatorUrl: null,
});
`;

/** Swagger UI's folder: swagger-ui-dist, as the @nestjs/swagger installed brings it. */
function swaggerUiFile(name: string): string {
  const nestSwagger = createRequire(import.meta.url).resolve('@nestjs/swagger');
  return join(dirname(createRequire(nestSwagger).resolve('swagger-ui-dist/package.json')), name);
}

/**
 * The API description: `GET /docs/openapi.json` (OpenAPI 3.1, the same document as `docs/openapi.json`,
 * described from this very gateway's routes) and `GET /docs`, Swagger UI on it. No credential: the
 * description of the API is not intelligence.
 */
@ApiExcludeController()
@Controller('docs')
export class DocsController {
  /** Described on the first request, then kept: the routes do not change while the gateway runs. */
  private document?: string;

  constructor(
    private readonly modules: ModulesContainer,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get()
  page(@Res() reply: FastifyReply): void {
    void reply.header('content-security-policy', DOCS_PAGE_CSP).type('text/html; charset=utf-8').send(PAGE);
  }

  @Get('openapi.json')
  openapi(@Res() reply: FastifyReply): void {
    this.document ??= openApiText(describeGateway(this.modules, this.adapterHost.httpAdapter));
    void reply.type('application/json; charset=utf-8').send(this.document);
  }

  @Get('docs.js')
  start(@Res() reply: FastifyReply): void {
    void reply.type('text/javascript; charset=utf-8').send(START);
  }

  @Get('swagger-ui-bundle.js')
  bundle(@Res() reply: FastifyReply): void {
    void reply
      .type('text/javascript; charset=utf-8')
      .send(createReadStream(swaggerUiFile('swagger-ui-bundle.js')));
  }

  @Get('swagger-ui.css')
  styles(@Res() reply: FastifyReply): void {
    void reply.type('text/css; charset=utf-8').send(createReadStream(swaggerUiFile('swagger-ui.css')));
  }
}
