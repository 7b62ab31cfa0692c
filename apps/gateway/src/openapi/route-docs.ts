/**
 * What the API description cannot read from a route's code: its summary, the query parameters a handler
 * reads from an untyped `@Query()`, its body and its answer on success. One decorator per route, so that a
 * controller says with one line what its route is; security, the headers it implies and the problem answers
 * are derived from the route's guards by openapi-document.ts.
 */
import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
} from '@nestjs/swagger';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '#audit-store';
import { DEFAULT_INBOX_PAGE, MAX_INBOX_PAGE } from '../read-inbox/read-inbox.handler.js';
import { schemaRef } from './api-schemas.js';

const after = (what: string) =>
  ApiQuery({
    name: 'after',
    required: false,
    description: `${what}: the position read up to (0, the default, reads from the start)`,
    schema: { type: 'integer', minimum: 0, default: 0 },
  });

const auditPage = [
  ApiQuery({
    name: 'cursor',
    required: false,
    description: "the previous page's `nextCursor`, unchanged",
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', maxLength: 1024 },
  }),
  ApiQuery({
    name: 'limit',
    required: false,
    description: 'rows per page',
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
  }),
];

const period = (required: boolean) => [
  ApiQuery({
    name: 'since',
    required,
    description: 'start of the period, inclusive (RFC 3339)',
    schema: { type: 'string', format: 'date-time' },
  }),
  ApiQuery({
    name: 'until',
    required,
    description: 'end of the period, exclusive (RFC 3339)',
    schema: { type: 'string', format: 'date-time' },
  }),
];

/** `POST /v1/messages` */
export const SubmitMessageDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Submit an item for routing',
      description:
        'Any payload the node may publish, as an msx.v1.Envelope in its protobuf JSON form. The gateway sets ' +
        "`sender` to the credential's node, and `id` and `createdAt` when absent; `author` is the officer " +
        "acting (a personal credential's holder, who may leave it out). Every contract rule is checked before " +
        'anything is published; a rejection is answered 400 with each field and rule, and audited. Sending the ' +
        'same body again (same `id`) is answered `duplicate` and routed once.',
    }),
    ApiBody({ required: true, schema: schemaRef('msx.v1.Envelope') }),
    ApiResponse({ status: 202, description: 'accepted for routing', schema: schemaRef('SubmitResult') }),
  );

/** `GET /v1/inbox` */
export const InboxPageDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: "Read a page of the node's inbox",
      description:
        'The items after a position, in delivery order. Each item the router vouched for is shown and ' +
        'recorded in the audit trail as consulted by the officer reading, before the page is answered.',
    }),
    after('the page starts after this position'),
    ApiQuery({
      name: 'limit',
      required: false,
      description: 'items per page',
      schema: { type: 'integer', minimum: 1, maximum: MAX_INBOX_PAGE, default: DEFAULT_INBOX_PAGE },
    }),
    ApiResponse({ status: 200, description: 'a page of the inbox', schema: schemaRef('InboxPage') }),
  );

/** `GET /v1/inbox/live` */
export const LiveInboxDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: "Watch the node's inbox live (Server-Sent Events)",
      description:
        'Every item after the position, as it arrives: an `item` event whose id is its position and whose ' +
        'data is a VouchedInboxEntry or RefusedInboxEntry, each audited as a page read is. A comment line ' +
        'comes after 15 quiet seconds. The stream ends with an `end` event carrying a Problem when the ' +
        'credential is revoked or expires or the inbox cannot be read; the client reconnects after 3 s.',
    }),
    after('the stream starts after this position'),
    ApiHeader({
      name: 'last-event-id',
      required: false,
      description: 'sent by an EventSource that reconnects: resumes after this position instead of `after`',
      schema: { type: 'string', pattern: '^[0-9]+$' },
    }),
    ApiProduces('text/event-stream'),
    ApiResponse({
      status: 200,
      description: 'the stream of `item` events (`retry: 3000` first)',
      schema: { type: 'string', description: 'text/event-stream' },
    }),
  );

/** `GET /v1/audit/messages/:id/trail` */
export const AuditTrailDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: "A message's trail across every party",
      description:
        'Every audit row of the message, in the order recorded. The consultation is itself audited, with ' +
        'the auditor and the justification, and shows in this trail.',
    }),
    ApiParam({ name: 'id', description: 'the message id', schema: { type: 'string', format: 'uuid' } }),
    ...auditPage,
    ApiResponse({ status: 200, description: 'a page of the trail', schema: schemaRef('AuditPage') }),
  );

/** `GET /v1/audit/flows` */
export const AuditFlowsDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Flows from one party towards another',
      description:
        'Operations from `from` towards `to` in [since, until), counted by operation, type and handling code.',
    }),
    ApiQuery({ name: 'from', required: true, description: 'node id', schema: { type: 'string' } }),
    ApiQuery({ name: 'to', required: true, description: 'node id', schema: { type: 'string' } }),
    ...period(true),
    ...auditPage,
    ApiResponse({ status: 200, description: 'a page of the flow', schema: schemaRef('FlowsPage') }),
  );

/** `GET /v1/audit/officers/:officer/activity` */
export const OfficerActivityDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: "An officer's activity",
      description: "One officer's operations, in time order.",
    }),
    ApiParam({
      name: 'officer',
      description: 'officer id, for example cp-it.officer-9',
      schema: { type: 'string' },
    }),
    ...period(false),
    ...auditPage,
    ApiResponse({ status: 200, description: 'a page of the activity', schema: schemaRef('AuditPage') }),
  );

/** `GET /healthz` (and `/health`) */
export const LivenessDocs = () =>
  applyDecorators(
    ApiOperation({ summary: 'Liveness: the process answers' }),
    ApiResponse({ status: 200, description: 'alive', schema: schemaRef('Liveness') }),
  );

/** `GET /readyz` */
export const ReadinessDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Readiness: NATS and the credentials database answer',
      description:
        'Names no host, driver or subject. `submissions` is closed while the audit trail cannot record.',
    }),
    ApiResponse({ status: 200, description: 'ready', schema: schemaRef('Readiness') }),
    ApiResponse({ status: 503, description: 'not ready', schema: schemaRef('Readiness') }),
  );

const messageId = ApiParam({
  name: 'id',
  description: 'the message id',
  schema: { type: 'string', format: 'uuid' },
});

/**
 * The answer for a message the party may not see: the very same for one that exists nowhere, so that no
 * answer tells the two apart. `also` names what else this route answers 404 for.
 */
const notFound = (also = '') =>
  ApiResponse({
    status: 404,
    description:
      'GATEWAY.NOT_FOUND, with the same body whether the message exists nowhere or the party neither sent ' +
      `nor received it (or the id is not a UUID)${also}`,
  });

/** A party that may see the message but not do this with it; the role and officer refusals of every route. */
const notAllowed = (who: string) =>
  ApiResponse({
    status: 403,
    description:
      `only ${who} may do this (GATEWAY.FORBIDDEN); or the credential's role may not call this route ` +
      "(GATEWAY.FORBIDDEN), or the officer named is not of the credential's node or not its holder " +
      '(GATEWAY.OFFICER_NOT_OF_NODE); audited',
  });

/** The person acting: an action names them in a header, where a submission names them as its author. */
const actingOfficer = ApiHeader({
  name: 'x-msx-officer',
  required: false,
  description:
    "the officer acting, `<node>.<name>`: required with a node's system credential (400 without); with an " +
    "officer's own credential it may be left out and otherwise must name its holder",
  schema: { type: 'string', pattern: '^[a-z0-9-]+\\.[a-z0-9][a-z0-9._-]*$' },
});

/** An action about a message: its officer, its id, its body, and the answer of a submission. */
const action = (body: Parameters<typeof schemaRef>[0], required = true) => [
  actingOfficer,
  messageId,
  ApiBody({ required, schema: schemaRef(body) }),
  ApiResponse({
    status: 202,
    description: 'accepted for routing, with the id of the action',
    schema: schemaRef('SubmitResult'),
  }),
];

/** What every action about a message is, after what it does. */
const AN_ACTION =
  ' The action is an envelope submitted like any other: marked like the item (handling code, TLP), in its ' +
  'thread, checked by every contract and sharing rule, audited, and answered 202 with its own id. A field ' +
  'its body does not take is 400 `unknownProperty` at the payload it goes into.';

/** `POST /v1/messages/preview` */
export const PreviewMessageDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Preview who would receive a submission',
      description:
        'Who would receive this envelope (as `POST /v1/messages` takes it) if the party submitted it now, and ' +
        'who not under which rule, decided by the router with the rules and ledger it routes by, publishing ' +
        'nothing. The envelope is completed and checked as a submission is; its `author` is the person ' +
        'acting. The preview is recorded in the trail as a consultation (GATEWAY.PREVIEW, with how many ' +
        'would receive it). It is not a promise: a submission is decided when it is routed. Each person ' +
        "(or one node's systems together) may ask for MSX_GATEWAY_PREVIEW_LIMIT previews (60) per " +
        'MSX_GATEWAY_PREVIEW_WINDOW_MS (a minute), then is answered 429 until the window ends.',
    }),
    ApiBody({ required: true, schema: schemaRef('msx.v1.Envelope') }),
    ApiResponse({ status: 200, description: 'who would receive it', schema: schemaRef('PreviewAnswer') }),
  );

/** `GET /v1/messages/:id` */
export const MessageDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Read one message as your party sees it',
      description:
        "The message as the party that sent or received it sees it, with a recipient's copy as an inbox item, " +
        'which is consulted and audited like an inbox read (GATEWAY.MESSAGE_READ). Where the party stands ' +
        "towards the message is the router's answer from its ledger, never the caller's word.",
    }),
    messageId,
    ApiResponse({ status: 200, description: 'the message', schema: schemaRef('MessageView') }),
    notFound(),
  );

/** `GET /v1/messages/:id/receipts` */
export const ReceiptsDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'What became of a submission, for its originator',
      description:
        'Each routing decision with its rule, the forwards others made under its consent, and the ' +
        'acknowledgements, share requests and erasure receipts addressed to it. Read from the audit trail; ' +
        'the reading is itself recorded (GATEWAY.RECEIPTS_READ).',
    }),
    messageId,
    ApiResponse({ status: 200, description: 'the receipts', schema: schemaRef('Receipts') }),
    notFound(', or the party is not its originator'),
  );

/** `POST /v1/messages/:id/acknowledgement` */
export const AcknowledgeDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Acknowledge a message to its originator',
      description: 'A recipient acknowledges an item to its originator.' + AN_ACTION,
    }),
    ...action('AcknowledgementBody', false),
    notAllowed('a party the message was delivered to'),
    notFound(),
  );

/** `POST /v1/messages/:id/share-requests` */
export const RequestShareDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: "Ask the originator's consent to share a message on",
      description:
        "A recipient asks the originator's consent to share an item with further parties. The answer's id " +
        'is the `requestId` of the decision.' +
        AN_ACTION,
    }),
    ...action('ShareRequestBody'),
    notAllowed('a party the message was delivered to'),
    notFound(),
  );

/** `POST /v1/messages/:id/share-decisions` */
export const DecideShareDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Grant or refuse a share request',
      description:
        'The originator grants or refuses a share request about its item; the decision is sent to the ' +
        "requester. The answer's id is the `consentRef` of the forward it allows." +
        AN_ACTION,
    }),
    ...action('ShareDecisionBody'),
    notAllowed("the message's originator"),
    notFound(', or for a share request not about this message'),
  );

/** `POST /v1/messages/:id/forward` */
export const ForwardDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: "Forward a copy under the originator's consent",
      description:
        "A recipient forwards its copy under the originator's consent: the same intelligence, byte for byte " +
        'in its payload, under a new id, citing the decision that allows it; the router delivers it only to ' +
        'the parties the consent names. The forward is a submission, checked by every contract and sharing ' +
        'rule, audited, and answered 202 with its own id. A field its body does not take is 400 ' +
        '`unknownProperty`.',
    }),
    ...action('ForwardBody'),
    notAllowed('a party the message was delivered to'),
    notFound(', or when the party holds no copy of it to forward'),
  );

/** `POST /v1/messages/:id/recall` */
export const RecallDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Recall a message from every holder',
      description:
        'The originator recalls its item from everyone who holds it, forwards included: the router sends ' +
        'the recall to every holder.' +
        AN_ACTION,
    }),
    ...action('RecallBody'),
    notAllowed("the message's originator"),
    notFound(),
  );

/**
 * The `type` of `/v1/reports/:type`: one path segment per intelligence type. The controller passes its own
 * REPORT_PATHS, which this file cannot import (the controller imports this file).
 */
const reportType = (paths: ReadonlyMap<string, unknown>) =>
  ApiParam({
    name: 'type',
    description: 'the intelligence type, whose payload the envelope carries and no other',
    schema: { type: 'string', enum: [...paths.keys()] },
  });

const NOT_A_TYPE = ApiResponse({
  status: 404,
  description: 'the path names no intelligence type: GATEWAY.NOT_FOUND',
});

/** What a report endpoint checks before the envelope's contract. */
const ONE_TYPE =
  "The envelope must carry the payload of the path's type and no other: a missing one is 400 `required`, " +
  "another type's payload 400 `unknownProperty`, naming the field.";

/** `POST /v1/reports/:type` */
export const SubmitReportDocs = (paths: ReadonlyMap<string, unknown>) =>
  applyDecorators(
    ApiOperation({
      summary: 'Submit one type of intelligence for routing',
      description: `The same as \`POST /v1/messages\`, for one intelligence type. ${ONE_TYPE}`,
    }),
    reportType(paths),
    ApiBody({ required: true, schema: schemaRef('msx.v1.Envelope') }),
    ApiResponse({ status: 202, description: 'accepted for routing', schema: schemaRef('SubmitResult') }),
    NOT_A_TYPE,
  );

/** `POST /v1/reports/:type/preview` */
export const PreviewReportDocs = (paths: ReadonlyMap<string, unknown>) =>
  applyDecorators(
    ApiOperation({
      summary: 'Preview who would receive one type of intelligence',
      description: `The same as \`POST /v1/messages/preview\`, for one intelligence type. ${ONE_TYPE}`,
    }),
    reportType(paths),
    ApiBody({ required: true, schema: schemaRef('msx.v1.Envelope') }),
    ApiResponse({ status: 200, description: 'who would receive it', schema: schemaRef('PreviewAnswer') }),
    NOT_A_TYPE,
  );

/** `GET /v1/audit/chain` */
export const AuditChainDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: "The audit chain's verification status",
      description:
        "The audit service verifies the trail incrementally with the audit store's own verifier, every 10 s " +
        "and on each request: every row's hash and link, seqs without gaps or repeats, the stored " +
        "checkpoints' signatures and head hashes, and a trail shorter than its last checkpoint. A request " +
        'waits at most 5 s for a check that started after it, then answers what is known. The consultation ' +
        "is recorded with what it said. Whether the witnesses' copies still match the trail is checked by " +
        '`npm run audit:verify -- --witness-dir …`.',
    }),
    ApiResponse({ status: 200, description: "the chain's status", schema: schemaRef('ChainStatus') }),
  );

/** `GET /v1/audit/export` */
export const AuditExportDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Export the rows recorded in a period',
      description:
        'The rows recorded in [since, until) (to the millisecond), in trail order, with the columns ' +
        "`npm run audit:export` writes (the row's, then `prev_hash` and `row_hash`), as a download. An " +
        'export is fixed when it is asked for: the rows recorded in the period up to the head at that ' +
        'moment. A period holding more than 100,000 rows is refused (400 AUDIT.QUERY_INVALID naming ' +
        '`until`): export shorter periods, or run `npm run audit:export` where the database is. The ' +
        'consultation (auditor, justification, period, format and row count) is recorded before the first ' +
        'byte is sent; when a later page cannot be read the connection is cut, so an incomplete download ' +
        'never looks complete.',
    }),
    ...period(true),
    ApiQuery({
      name: 'format',
      required: false,
      description: 'JSON Lines (`application/x-ndjson`) or CSV (`text/csv`, RFC 4180, with a header line)',
      schema: { type: 'string', enum: ['jsonl', 'csv'], default: 'jsonl' },
    }),
    ApiProduces('application/x-ndjson', 'text/csv'),
    ApiResponse({
      status: 200,
      description: 'the rows, one a line, in the format asked for',
      headers: {
        'content-disposition': {
          description: 'attachment; filename="msx-audit-<since>-<until>.<format>", the times without colons',
          schema: { type: 'string' },
        },
      },
      schema: { type: 'string', description: 'JSON Lines or CSV' },
    }),
  );

/** `GET /v1/me` */
export const WhoamiDocs = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Who the bearer credential is',
      description:
        'For any valid credential of any role, so that a console shows its person the screens of their ' +
        'role: the person, node, role and expiry the credential itself says. Not intelligence, and not audited.',
    }),
    ApiResponse({ status: 200, description: 'the credential', schema: schemaRef('Whoami') }),
  );
