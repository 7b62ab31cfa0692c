import { beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import type {
  OpenAPIObject,
  OperationObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { TypeSchema, DurationSchema } from '@bufbuild/protobuf/wkt';
import { EnvelopeSchema, envelopeFromJson, envelopeToJson } from '#contracts';
import { asJson, VALID_ENVELOPE_FACTORIES, validRouteReportEnvelope } from '#testing/envelopes';
import { openApiText } from './describe-gateway.js';
import { buildOpenApiDocument } from './openapi-document.js';
import { protoJsonSchemas } from './proto-json-schema.js';

/** The committed description, beside the checkout's README. */
const COMMITTED = new URL('../../../../docs/openapi.json', import.meta.url);
const REGENERATE = 'run `npm run openapi` and commit docs/openapi.json';

const show = (value: unknown) => {
  const text = value === undefined ? '(nothing)' : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
};

/** Where two JSON values first differ, as a path and both values; undefined when they are equal. */
function firstDifference(code: unknown, file: unknown, path = '$'): string | undefined {
  if (typeof code !== 'object' || code === null || typeof file !== 'object' || file === null)
    return Object.is(code, file) ? undefined : `${path}: the code says ${show(code)}, the file ${show(file)}`;
  if (Array.isArray(code) !== Array.isArray(file))
    return `${path}: the code says ${show(code)}, the file ${show(file)}`;
  const a = code as Record<string, unknown>;
  const b = file as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const at =
      Array.isArray(code) || !/^\w+$/.test(key) ? `${path}[${JSON.stringify(key)}]` : `${path}.${key}`;
    if (!(key in b)) return `${at}: the code says ${show(a[key])}, the file has nothing`;
    if (!(key in a)) return `${at}: the file says ${show(b[key])}, the code describes nothing`;
    const found = firstDifference(a[key], b[key], at);
    if (found !== undefined) return found;
  }
  return undefined;
}

const operations = (doc: OpenAPIObject) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item as Record<string, OperationObject>).map(([method, op]) => ({
      route: `${method.toUpperCase()} ${path}`,
      path,
      op,
    })),
  );

const responsesOf = (op: OperationObject) =>
  Object.entries(op.responses) as [string, ResponseObject | ReferenceObject][];

/** The object a local `$ref` points to, or undefined. */
function resolve(doc: OpenAPIObject, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], doc);
}

const allRefs = (value: unknown): string[] =>
  typeof value !== 'object' || value === null
    ? []
    : Object.entries(value).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : allRefs(v)));

const KNOWN_KEYWORDS = new Set([
  ...['$ref', 'type', 'enum', 'properties', 'additionalProperties', 'required', 'items', 'oneOf', 'anyOf'],
  ...['allOf', 'not', 'minimum', 'maximum', 'pattern', 'format', 'description'],
]);

/**
 * Whether a JSON value meets a schema: the JSON Schema keywords the generated schemas use, and no other (an
 * unknown keyword fails the test rather than pass unchecked).
 */
function meets(
  schemas: Record<string, SchemaObject>,
  schema: SchemaObject | ReferenceObject,
  value: unknown,
): boolean {
  for (const keyword of Object.keys(schema))
    if (!KNOWN_KEYWORDS.has(keyword)) throw new Error(`the test does not know the keyword ${keyword}`);
  if ('$ref' in schema)
    return meets(schemas, schemas[schema.$ref.replace('#/components/schemas/', '')], value);
  const s = schema;
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  const types = s.type === undefined ? undefined : [s.type].flat();
  if (types && !types.some((t) => t === kind || (t === 'integer' && Number.isInteger(value)))) return false;
  if (s.enum && !s.enum.includes(value)) return false;
  if (typeof value === 'number' && ((s.minimum ?? value) > value || (s.maximum ?? value) < value))
    return false;
  if (typeof value === 'string' && s.pattern && !new RegExp(s.pattern).test(value)) return false;
  if (typeof value === 'string' && s.format === 'date-time' && Number.isNaN(Date.parse(value))) return false;
  if (Array.isArray(value) && s.items && !value.every((v) => meets(schemas, s.items!, v))) return false;
  if (kind === 'object') {
    const o = value as Record<string, unknown>;
    if (s.required && !s.required.every((k) => k in o)) return false;
    for (const [k, v] of Object.entries(o)) {
      const p = s.properties?.[k];
      const extra = s.additionalProperties;
      if (
        p
          ? !meets(schemas, p, v)
          : extra === false || (typeof extra === 'object' && !meets(schemas, extra, v))
      )
        return false;
    }
  }
  if (s.oneOf && s.oneOf.filter((x) => meets(schemas, x, value)).length !== 1) return false;
  if (s.anyOf && !s.anyOf.some((x) => meets(schemas, x, value))) return false;
  if (s.allOf && !s.allOf.every((x) => meets(schemas, x, value))) return false;
  if (s.not && meets(schemas, s.not, value)) return false;
  return true;
}

describe('the OpenAPI description of the gateway', () => {
  let doc: OpenAPIObject;

  beforeAll(async () => {
    // Nest's preview announces itself through Nest's logger: not this test's output.
    Logger.overrideLogger(false);
    doc = await buildOpenApiDocument();
  });

  it('is what docs/openapi.json holds', () => {
    let text: string;
    try {
      text = readFileSync(COMMITTED, 'utf8');
    } catch {
      throw new Error(`docs/openapi.json is missing: ${REGENERATE}`);
    }
    const difference = firstDifference(JSON.parse(openApiText(doc)), JSON.parse(text) as unknown);
    if (difference !== undefined)
      throw new Error(`docs/openapi.json differs from the gateway's routes at ${difference}: ${REGENERATE}`);
    if (openApiText(doc) !== text)
      throw new Error(`docs/openapi.json has the same content in another order or layout: ${REGENERATE}`);
  });

  it('describes every route under /v1 with the credential and roles it admits, and none on the probes', () => {
    const routes = operations(doc);
    expect(routes.map((r) => r.route)).toEqual(
      expect.arrayContaining([
        'POST /v1/messages',
        'GET /v1/inbox',
        'GET /v1/inbox/live',
        'GET /v1/audit/messages/{id}/trail',
        'GET /v1/audit/flows',
        'GET /v1/audit/officers/{officer}/activity',
        'GET /healthz',
        'GET /readyz',
      ]),
    );
    const security = Object.fromEntries(routes.map((r) => [r.route, r.op.security]));
    expect(security['POST /v1/messages']).toEqual([{ credential: ['officer', 'system'] }]);
    expect(security['GET /v1/audit/flows']).toEqual([{ credential: ['auditor'] }]);
    expect(security['GET /healthz']).toEqual([]);
    expect(security['GET /readyz']).toEqual([]);
    for (const { route, path, op } of routes)
      if (path.startsWith('/v1/'))
        expect([route, op.security?.[0]?.credential]).toEqual([route, expect.any(Array)]);
    expect(doc.components?.securitySchemes?.credential).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it("asks auditors for their justification, and a node's system for the officer reading", () => {
    const parameters = (route: string) =>
      operations(doc)
        .find((r) => r.route === route)!
        .op.parameters!.map((p) => ('$ref' in p ? p.$ref.split('/').pop() : p.name));
    expect(parameters('GET /v1/audit/messages/{id}/trail')).toEqual(
      expect.arrayContaining(['id', 'cursor', 'limit', 'Justification']),
    );
    expect(parameters('GET /v1/inbox')).toEqual(expect.arrayContaining(['after', 'limit', 'Officer']));
    expect(parameters('POST /v1/messages')).not.toContain('Officer');
    expect(doc.components?.parameters?.Justification).toMatchObject({
      name: 'x-msx-justification',
      required: true,
    });
    expect(doc.components?.parameters?.Officer).toMatchObject({ name: 'x-msx-officer', in: 'header' });
  });

  it('answers every refusal under /v1 as an application/problem+json problem', () => {
    for (const { route, path, op } of operations(doc)) {
      if (!path.startsWith('/v1/')) continue;
      for (const status of ['401', '429', '500', '503'])
        expect([route, status in op.responses]).toEqual([route, true]);
      for (const [status, answer] of responsesOf(op)) {
        if (Number(status) < 400) continue;
        const response = ('$ref' in answer ? resolve(doc, answer.$ref) : answer) as ResponseObject;
        expect([route, status, response.content?.['application/problem+json']?.schema]).toEqual([
          route,
          status,
          { $ref: '#/components/schemas/Problem' },
        ]);
      }
    }
    const submit = operations(doc).find((r) => r.route === 'POST /v1/messages')!.op;
    expect(Object.keys(submit.responses)).toEqual(
      expect.arrayContaining(['202', '400', '403', '408', '413', '415']),
    );
    expect(doc.components?.schemas?.Problem).toMatchObject({
      required: ['type', 'title', 'status', 'detail', 'code'],
    });
  });

  it('says what every route answers on success, and the schema of any body it takes', () => {
    const missing = operations(doc).flatMap(({ route, op }) => {
      const success = responsesOf(op).filter(([status]) => /^2\d\d$/.test(status));
      const described = success.some(
        ([, r]) => '$ref' in r || (r.content !== undefined && r.description !== ''),
      );
      const body = op.requestBody as { content?: Record<string, { schema?: SchemaObject }> } | undefined;
      const bodyUndescribed = body?.content?.['application/json']?.schema?.type === 'object';
      return [
        ...(described ? [] : [`${route}: its success answer (add an @ApiResponse with a schema)`]),
        ...(bodyUndescribed ? [`${route}: its body (add an @ApiBody with a schema)`] : []),
      ];
    });
    expect(missing).toEqual([]);
  });

  it('resolves every reference within the document', () => {
    const dangling = [...new Set(allRefs(doc))].filter((ref) => resolve(doc, ref) === undefined);
    expect(dangling).toEqual([]);
  });

  it('takes an msx.v1.Envelope, as generated from the protobuf descriptors, as the body of a submission', () => {
    const submit = operations(doc).find((r) => r.route === 'POST /v1/messages')!.op;
    expect(submit.requestBody).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/msx.v1.Envelope' } } },
    });
    expect(doc.components?.schemas).toMatchObject(protoJsonSchemas(EnvelopeSchema));
  });
});

describe('the JSON Schema of msx.v1.Envelope, from its protobuf descriptors', () => {
  const schemas = protoJsonSchemas(EnvelopeSchema);
  const envelope = schemas['msx.v1.Envelope'];

  it('has a property for every field, under its JSON name', () => {
    expect(Object.keys(envelope.properties!)).toEqual(EnvelopeSchema.fields.map((f) => f.jsonName));
    expect(envelope.properties!.createdAt).toMatchObject({ type: 'string', format: 'date-time' });
    expect(envelope.properties!.recipients).toEqual({ type: 'array', items: { type: 'string' } });
    expect(schemas['msx.v1.Tlp'].enum).toContain('TLP_AMBER_STRICT');
  });

  it.each(Object.entries(VALID_ENVELOPE_FACTORIES))(
    'accepts a valid %s envelope, as sent and as written',
    (_, valid) => {
      const sent = asJson(valid());
      expect(meets(schemas, envelope, sent)).toBe(true);
      expect(meets(schemas, envelope, envelopeToJson(envelopeFromJson(sent)))).toBe(true);
    },
  );

  it('refuses what the contract refuses: an unknown field, an enum by number, two payloads or none', () => {
    const valid = asJson(validRouteReportEnvelope());
    expect(meets(schemas, envelope, valid)).toBe(true);
    expect(meets(schemas, envelope, { ...valid, colour: 'red' })).toBe(false);
    expect(meets(schemas, envelope, { ...valid, tlp: 3 })).toBe(false);
    expect(meets(schemas, envelope, { ...valid, recall: {} })).toBe(false);
    const { routeReport: _, ...none } = valid;
    expect(meets(schemas, envelope, none)).toBe(false);
  });

  it('writes 64-bit integers as decimal strings, as protobuf JSON does', () => {
    expect(protoJsonSchemas(DurationSchema)['google.protobuf.Duration'].properties).toEqual({
      seconds: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
      nanos: { type: 'integer', format: 'int32' },
    });
  });

  it('refuses to guess the JSON form of a well-known type it does not describe', () => {
    expect(() => protoJsonSchemas(TypeSchema)).toThrow(
      /uses google\.protobuf\.\w+, which protoJsonSchemas does not describe/,
    );
  });
});
