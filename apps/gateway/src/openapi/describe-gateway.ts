import { ApplicationConfig, type ModulesContainer } from '@nestjs/core';
import type { HttpServer, INestApplication, Type } from '@nestjs/common';
import { GUARDS_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import {
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type PathItemObject,
  type ReferenceObject,
  type ResponseObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { EnvelopeSchema } from '#contracts';
import { AuditorTokenGuard } from '../auth/auditor-token.guard.js';
import { AUTHENTICATED_PREFIX } from '../auth/authenticate-first.js';
import { NODE_ROLES, NodeTokenGuard } from '../auth/node-token.guard.js';
import { PROBLEM_MEDIA_TYPE } from '../http/http-error.filter.js';
import { API_SCHEMAS, schemaRef } from './api-schemas.js';
import { protoJsonSchemas } from './proto-json-schema.js';

/** The name of the bearer credential's security scheme; its requirement lists the roles a route admits. */
export const CREDENTIAL_SCHEME = 'credential';

/** Pages for browsers the gateway also serves, with their assets: not part of the API. */
const BROWSER_PAGES = ['/console', '/docs'];

/** The roles each guard admits. A route behind a guard not listed here fails the description, naming both. */
const ROLES_OF_GUARD = new Map<unknown, readonly string[]>([
  [NodeTokenGuard, NODE_ROLES],
  [AuditorTokenGuard, ['auditor']],
]);

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type HttpMethod = (typeof HTTP_METHODS)[number];

const ref = (section: 'parameters' | 'responses', name: string): ReferenceObject => ({
  $ref: `#/components/${section}/${name}`,
});

const correlationHeader = {
  'x-correlation-id': {
    description: 'the correlation id of the request: quote it when reporting a problem',
    schema: { type: 'string' },
  },
};

/** A problem answer: application/problem+json, the codes it may carry, and headers. */
function problemResponse(codes: string, headers: ResponseObject['headers'] = {}): ResponseObject {
  return {
    description: codes,
    headers: { ...correlationHeader, ...headers },
    content: { [PROBLEM_MEDIA_TYPE]: { schema: schemaRef('Problem') } },
  };
}

const retryAfter = (what: string) => ({
  'retry-after': { description: what, schema: { type: 'integer', minimum: 1 } },
});

/** The problems routes answer, by the name each operation refers to them with. */
const PROBLEM_RESPONSES = {
  BadRequest: problemResponse(
    'the request breaks a rule, named in `detail` (and for a body, each field and rule in `violations`), ' +
      'for example CONTRACT.INVALID, GATEWAY.INVALID_JSON, GATEWAY.INVALID_QUERY, AUDIT.QUERY_INVALID, ' +
      'AUDIT.JUSTIFICATION_REQUIRED',
  ),
  Unauthenticated: problemResponse(
    'no credential, or one that is unknown, expired or revoked: GATEWAY.UNAUTHENTICATED. Checked before the body is read.',
    { 'www-authenticate': { description: 'Bearer realm="msx"', schema: { type: 'string' } } },
  ),
  Forbidden: problemResponse(
    "the credential's role may not call this route (GATEWAY.FORBIDDEN), or the officer named is not of the " +
      "credential's node or not its holder (GATEWAY.OFFICER_NOT_OF_NODE), or the sender is another node " +
      '(GATEWAY.SENDER_MISMATCH); audited',
  ),
  RequestTimeout: problemResponse(
    'the body did not arrive whole within MSX_GATEWAY_REQUEST_TIMEOUT_MS of the headers: GATEWAY.REQUEST_TIMEOUT; the connection is closed',
  ),
  BodyTooLarge: problemResponse(
    'the body is larger than MSX_GATEWAY_BODY_LIMIT_BYTES: GATEWAY.BODY_TOO_LARGE',
  ),
  UnsupportedMediaType: problemResponse('the body is not application/json: GATEWAY.UNSUPPORTED_MEDIA_TYPE', {
    'accept-post': { description: 'application/json', schema: { type: 'string' } },
  }),
  RateLimited: problemResponse(
    'too many refused requests from this address or with this credential, or too many previews by this ' +
      'person: GATEWAY.RATE_LIMITED',
    retryAfter('seconds until the window ends'),
  ),
  Internal: problemResponse(
    'the gateway failed: INTERNAL.UNEXPECTED, with only the correlation id (the cause is in its log)',
  ),
  Unavailable: problemResponse(
    'something the gateway depends on is away for now (AUDIT.UNAVAILABLE while the audit trail cannot ' +
      'record, BUS.UNAVAILABLE, GATEWAY.CREDENTIALS_UNAVAILABLE, …): retry after the time given; a ' +
      'submission sent again with the same id is routed once',
    retryAfter('seconds to wait before trying again'),
  ),
} satisfies Record<string, ResponseObject>;

/** Headers some routes read, by the name operations refer to them with. */
const PARAMETERS: Record<string, ParameterObject> = {
  Officer: {
    name: 'x-msx-officer',
    in: 'header',
    required: false,
    description:
      "the officer reading, `<node>.<name>`: required with a node's system credential; with an officer's " +
      'own credential it may be left out and otherwise must name its holder',
    schema: { type: 'string', pattern: '^[a-z0-9-]+\\.[a-z0-9][a-z0-9._-]*$' },
  },
  Justification: {
    name: 'x-msx-justification',
    in: 'header',
    required: true,
    description:
      'why the auditor consults the trail (1 to 500 characters, one line); recorded with the consultation',
    schema: { type: 'string', minLength: 1, maxLength: 500 },
  },
  CorrelationId: {
    name: 'x-correlation-id',
    in: 'header',
    required: false,
    description:
      "the caller's correlation id, kept when it is 1 to 64 of [A-Za-z0-9._-]; otherwise one is made",
    schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
  },
};

const INFO_DESCRIPTION = [
  'The HTTP gateway of MSX, the message bus of the EU Action Plan against migrant smuggling. Officers submit ',
  "intelligence and read their node's inbox; agency systems do the same with their node's system credential; ",
  'auditors read the audit trail. Every route under /v1 needs a bearer credential; its requirement lists the ',
  'roles that may call it (`npm run admin -- issue` issues personal ones). Every error is an RFC 9457 problem ',
  '(application/problem+json) with a stable `code`. Every answer carries `Cache-Control: no-store`.',
].join('');

/** The document's frame: version, info, the credential's scheme. */
function frame(): Omit<OpenAPIObject, 'paths'> {
  return {
    openapi: '3.1.0',
    info: { title: 'MSX gateway', version: 'v1', description: INFO_DESCRIPTION },
    components: {
      securitySchemes: {
        [CREDENTIAL_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description:
            "a person's credential (`msx_…`, issued by an administrator) or a node's system token; the " +
            'requirement of each route lists the roles it admits (none listed: any valid credential)',
        },
      },
    },
  };
}

/** What the description reads from a route's code. */
interface RouteFacts {
  /** The roles its guards admit: undefined for a route behind none. */
  roles: readonly string[] | undefined;
  /** Whether its handler takes the body (`@Body()`). */
  readsBody: boolean;
}

/** The roles a route admits, from its guards: undefined for a route behind none. */
function rolesOf(controller: Type, method: string, operation: string): readonly string[] | undefined {
  const handler = (controller.prototype as Record<string, unknown>)[method] as object;
  const guards = [
    ...((Reflect.getMetadata(GUARDS_METADATA, controller) as unknown[] | undefined) ?? []),
    ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[] | undefined) ?? []),
  ];
  let roles: readonly string[] | undefined;
  for (const guard of guards) {
    const admitted = ROLES_OF_GUARD.get(guard);
    if (admitted === undefined)
      throw new Error(
        `${operation} is behind ${(guard as { name?: string }).name ?? String(guard)}, whose roles the API ` +
          'description does not know: add it to ROLES_OF_GUARD in apps/gateway/src/openapi/describe-gateway.ts',
      );
    roles = roles === undefined ? admitted : roles.filter((r) => admitted.includes(r));
  }
  return roles;
}

/** Whether a handler takes the request body (`@Body()`), whose schema it may not have declared. */
function readsBody(controller: Type, method: string): boolean {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<
    string,
    unknown
  >;
  return Object.keys(args).some((key) => key.startsWith(`${RouteParamtypes.BODY}:`));
}

/**
 * Completes one operation from what its route's code says: the credential and roles from its guards, the
 * headers they imply, and the problems every such route may answer. What a controller declares is kept.
 */
function completeOperation(
  path: string,
  method: HttpMethod,
  op: OperationObject,
  { roles, readsBody }: RouteFacts,
): OperationObject {
  const api = path.startsWith(AUTHENTICATED_PREFIX);
  // A body whose schema the route does not declare is still JSON, and still meets the body's limits.
  const requestBody =
    op.requestBody ??
    (readsBody
      ? { required: true, content: { 'application/json': { schema: { type: 'object' } } } }
      : undefined);
  const parameters = [...(op.parameters ?? [])];
  const has = (name: string) =>
    parameters.some((p) => !('$ref' in p) && p.in === 'header' && p.name.toLowerCase() === name);
  if (api) {
    // A node's system credential names the officer reading; an auditor says why, on every consultation.
    if (roles?.includes('system') && method === 'get' && !has('x-msx-officer'))
      parameters.push(ref('parameters', 'Officer'));
    if (roles?.includes('auditor') && !has('x-msx-justification'))
      parameters.push(ref('parameters', 'Justification'));
  }
  // Parameters a caller can get wrong: any but the correlation id, which is replaced when unusable.
  const checked = parameters.length;
  if (api) parameters.push(ref('parameters', 'CorrelationId'));
  const responses: OperationObject['responses'] = {};
  for (const [status, response] of Object.entries(op.responses ?? {})) {
    const declared = response as ResponseObject;
    // A problem a controller declares without a body (a 404, say) is a problem like any other.
    responses[status] =
      Number(status) >= 400 && !('$ref' in declared) && declared.content === undefined
        ? { ...problemResponse(declared.description), description: declared.description }
        : declared;
  }
  if (api) {
    const add = (status: string, name: keyof typeof PROBLEM_RESPONSES) =>
      (responses[status] ??= ref('responses', name));
    const body = requestBody !== undefined;
    if (body || checked > 0) add('400', 'BadRequest');
    add('401', 'Unauthenticated');
    if (roles !== undefined || body) add('403', 'Forbidden');
    if (body) {
      add('408', 'RequestTimeout');
      add('413', 'BodyTooLarge');
      add('415', 'UnsupportedMediaType');
    }
    add('429', 'RateLimited');
    add('500', 'Internal');
    add('503', 'Unavailable');
  }
  const ordered: OperationObject['responses'] = {};
  for (const status of Object.keys(responses).sort()) ordered[status] = responses[status];
  return {
    ...(op.tags === undefined ? {} : { tags: op.tags }),
    ...(op.summary === undefined ? {} : { summary: op.summary }),
    ...(op.description === undefined ? {} : { description: op.description }),
    operationId: op.operationId,
    security: api ? [{ [CREDENTIAL_SCHEME]: [...(roles ?? [])] }] : [],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody === undefined ? {} : { requestBody }),
    responses: ordered,
  };
}

const sortedByKey = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * The OpenAPI 3.1 description of the gateway whose modules are given: every route its controllers declare
 * (but pages for browsers), with what route-docs.ts adds to a route, completed by {@link completeOperation},
 * and the schema of msx.v1.Envelope generated from the protobuf descriptors. Deterministic: paths and
 * components sorted by name, each operation's members in one order, so the committed file can be compared.
 * @param modules the application's modules: the running gateway's (DocsController), or a preview's
 * @throws Error for a route behind a guard whose roles the description does not know
 */
export function describeGateway(modules: ModulesContainer, httpAdapter: HttpServer): OpenAPIObject {
  const controllers = new Map<string, Type>();
  for (const module of modules.values())
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as Type | null;
      if (type) controllers.set(type.name, type);
    }
  // SwaggerModule reads an application's modules, configuration and HTTP adapter: the same three, whether
  // the application runs (its own) or is a preview (nothing instantiated). No global prefix or versioning.
  const application = {
    container: { getModules: () => modules },
    config: new ApplicationConfig(),
    getHttpAdapter: () => httpAdapter,
  } as unknown as INestApplication;
  const scanned = SwaggerModule.createDocument(application, frame(), {
    // Read back below to find each operation's handler; the final id is `<Controller>_<method>`.
    operationIdFactory: (controller, method) => `${controller}#${method}`,
  });
  const paths: Record<string, PathItemObject> = {};
  for (const [path, item] of Object.entries(scanned.paths)) {
    if (BROWSER_PAGES.some((page) => path === page || path.startsWith(`${page}/`))) continue;
    const described: PathItemObject = {};
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      const route = `${method.toUpperCase()} ${path}`;
      // A handler with several paths is described once a path: `health[1]` for its second.
      const [name = '', key = ''] = (op.operationId ?? '').split('#');
      const [, handler = '', index] = /^(.*?)(?:\[(\d+)\])?$/.exec(key) ?? [];
      const controller = controllers.get(name);
      if (typeof (controller?.prototype as Record<string, unknown> | undefined)?.[handler] !== 'function')
        throw new Error(`${route}: cannot find its handler (${op.operationId})`);
      const operationId = `${name.replace(/Controller$/, '')}_${handler}${index && index !== '0' ? `_${index}` : ''}`;
      described[method] = completeOperation(
        path,
        method,
        { ...op, operationId },
        {
          roles: rolesOf(controller!, handler, route),
          readsBody: readsBody(controller!, handler),
        },
      );
    }
    paths[path] = described;
  }
  const schemas: Record<string, SchemaObject> = {
    ...(scanned.components?.schemas as Record<string, SchemaObject> | undefined),
    ...API_SCHEMAS,
    ...protoJsonSchemas(EnvelopeSchema),
  };
  return {
    openapi: scanned.openapi,
    info: scanned.info,
    paths: sortedByKey(paths),
    components: {
      securitySchemes: scanned.components?.securitySchemes,
      parameters: sortedByKey(PARAMETERS),
      responses: sortedByKey(PROBLEM_RESPONSES),
      schemas: sortedByKey(schemas),
    },
  };
}

/** The document as `docs/openapi.json` holds it: two-space indents and a final newline. */
export function openApiText(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
