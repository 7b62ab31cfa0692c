import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import {
  protoEnumNames,
  RecallReasonSchema,
  type AuditRecord,
  type ChainStatus,
  type EnvelopeDto,
  type FlowCount,
  type FlowsPage,
  type Page,
  type PreviewAnswer,
  type PreviewDecision,
  type RecallDto,
  type ShareDecisionDto,
  type ShareRequestDto,
  type Violation,
  type WitnessConfirmation,
} from '#contracts';
import { CREDENTIAL_ROLES } from '#identity';
import type { ErrorBody } from '../http/http-error.filter.js';
import type { GatewayReadiness } from '../health/health.controller.js';
import type { MessageView, ReceiptAnswer, ReceiptDecision, Receipts } from '../messages/messages.handler.js';
import type { RefusedInboxEntry, VouchedInboxEntry, InboxPage } from '../read-inbox/read-inbox.handler.js';
import type { SubmitResult } from '../submit-message/submit-message.handler.js';
import type { Whoami } from '../whoami/whoami.js';
import { protoSchemaRef } from './proto-json-schema.js';

type Schema = SchemaObject | ReferenceObject;

/** The names of {@link API_SCHEMAS}. */
type ApiSchemaName =
  | 'Problem'
  | 'Violation'
  | 'SubmitResult'
  | 'InboxPage'
  | 'VouchedInboxEntry'
  | 'RefusedInboxEntry'
  | 'AuditRecord'
  | 'AuditPage'
  | 'FlowCount'
  | 'FlowsPage'
  | 'Liveness'
  | 'Readiness'
  | 'PreviewAnswer'
  | 'PreviewDecision'
  | 'MessageView'
  | 'Receipts'
  | 'ReceiptDecision'
  | 'ReceiptAnswer'
  | 'AcknowledgementBody'
  | 'ShareRequestBody'
  | 'ShareDecisionBody'
  | 'ForwardBody'
  | 'RecallBody'
  | 'ChainStatus'
  | 'WitnessConfirmation'
  | 'Whoami';

/** A reference to one of {@link API_SCHEMAS}, or to a protobuf type's schema, in the document. */
export const schemaRef = (name: ApiSchemaName | `msx.v1.${string}`): ReferenceObject => protoSchemaRef(name);

/**
 * The schema of an object type, with a property for every key of `T`: adding or removing a field of the
 * answer's TypeScript type without its schema does not compile. Every property is required but `optional`.
 */
function objectSchema<T>(
  description: string,
  properties: { [K in keyof Required<T>]: Schema },
  optional: (keyof T & string)[] = [],
): SchemaObject {
  const names = Object.keys(properties);
  return {
    type: 'object',
    description,
    properties,
    required: names.filter((n) => !optional.includes(n as keyof T & string)),
  };
}

const text = (description: string): SchemaObject => ({ type: 'string', description });
const nullable = (description: string): SchemaObject => ({ type: ['string', 'null'], description });
const RFC3339 = (description: string): SchemaObject => ({ type: 'string', format: 'date-time', description });
const uuid = (description: string): SchemaObject => ({ type: 'string', format: 'uuid', description });
const nodeIds = (description: string): SchemaObject => ({
  type: 'array',
  items: { type: 'string' },
  description,
});
/** A decimal seq of the audit trail (0 where a break is found before the first row). */
const seq = (description: string): SchemaObject => ({ type: 'string', pattern: '^[0-9]+$', description });
/** An object of an answer that is null when there is nothing to say. */
const orNull = (schema: SchemaObject): SchemaObject => ({ ...schema, type: ['object', 'null'] });

/**
 * The body of an action about a message: only the named fields, as the gateway refuses any other (400
 * `unknownProperty`). Typed against the payload's own fields, less the message id the path gives.
 */
function actionBody<T>(
  description: string,
  properties: { [K in keyof Required<T>]: Schema },
  optional: (keyof T & string)[] = [],
): SchemaObject {
  return { ...objectSchema<T>(description, properties, optional), additionalProperties: false };
}

const inboxEntryBase = {
  seq: {
    type: 'integer',
    minimum: 1,
    description: "position in the node's inbox; pass the last one back as `after` to read on",
  },
  deliveredAt: RFC3339('when it was stored in the inbox'),
  sha256: {
    type: 'string',
    pattern: '^[0-9a-f]{64}$',
    description: 'SHA-256 of the exact bytes stored, as in the audit trail',
  },
} satisfies Record<string, SchemaObject>;

/** Answers the API gives besides the protobuf messages (those are `msx.v1.*`, generated from `proto/`). */
export const API_SCHEMAS = {
  Problem: objectSchema<ErrorBody>(
    'An RFC 9457 problem (application/problem+json): every error the gateway answers.',
    {
      type: {
        type: 'string',
        pattern: '^urn:msx:problem:',
        description: '`urn:msx:problem:<code>`, one type per code',
      },
      title: text("the HTTP status's own phrase"),
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: text('what went wrong and what to do, in the words of the gateway'),
      code: {
        type: 'string',
        pattern: '^[A-Z_]+\\.[A-Z_]+$',
        description: 'stable code of `libs/contracts/src/errors.ts`, for example CONTRACT.INVALID',
      },
      correlationId: text('finds the request in the logs and the audit trail (absent on 408)'),
      violations: {
        type: 'array',
        items: schemaRef('Violation'),
        description: 'for contract violations and refused officers: each field and rule broken',
      },
    },
    ['violations', 'correlationId'],
  ),
  Violation: objectSchema<Violation>('One broken rule: the field (known paths only) and the rule.', {
    field: text(
      'dotted path in the JSON form, for example routeReport.segments[0].fromCountry; empty for the whole body',
    ),
    rule: text('name of the rule, for example imoCheckDigit'),
    message: text('a sentence a person can act on'),
  }),
  SubmitResult: objectSchema<SubmitResult>(
    "Accepted for routing; the receipt (who received it, what was withheld) arrives in the node's inbox.",
    {
      id: {
        type: 'string',
        format: 'uuid',
        description: "the envelope's id (chosen by the gateway if absent)",
      },
      status: {
        type: 'string',
        enum: ['accepted', 'duplicate'],
        description: '`duplicate` when this id was submitted before: nothing is published twice',
      },
      correlationId: text('the correlation id of this request'),
    },
  ),
  InboxPage: objectSchema<InboxPage>('A page of the node’s inbox, in delivery order.', {
    items: {
      type: 'array',
      items: { oneOf: [schemaRef('VouchedInboxEntry'), schemaRef('RefusedInboxEntry')] },
    },
    nextAfter: {
      type: 'integer',
      minimum: 0,
      description: "the `after` of the next page; the request's own when nothing new has arrived",
    },
  }),
  VouchedInboxEntry: objectSchema<VouchedInboxEntry>(
    'An item the router vouched for: its envelope is shown, and reading it is audited as consulted.',
    {
      ...inboxEntryBase,
      vouched: { type: 'boolean', enum: [true] },
      envelope: schemaRef('msx.v1.Envelope'),
    },
  ),
  RefusedInboxEntry: objectSchema<RefusedInboxEntry>(
    'An item the router did not vouch for (or that does not decode): none of its contents is shown.',
    {
      ...inboxEntryBase,
      vouched: { type: 'boolean', enum: [false] },
      refusal: {
        type: 'object',
        required: ['code', 'reason'],
        properties: {
          code: {
            type: 'string',
            enum: ['DELIVERY.UNSIGNED', 'DELIVERY.UNKNOWN_KEY', 'DELIVERY.BAD_SIGNATURE'],
          },
          reason: text('why the copy is not vouched for'),
        },
      },
    },
  ),
  AuditRecord: objectSchema<AuditRecord>(
    'One row of the audit trail; times are RFC 3339 in UTC with microseconds.',
    {
      seq: {
        type: 'string',
        pattern: '^[1-9][0-9]*$',
        description: 'position in the trail, a decimal string',
      },
      eventId: text('the event recorded'),
      publisher: nullable('who published the event (null for rows stored before it was recorded)'),
      occurredAt: RFC3339('when it happened'),
      recordedAt: RFC3339('when the audit store recorded it'),
      operation: text('submitted, delivered, withheld, received, consulted, …'),
      actorNode: text('the party acting'),
      actorPerson: nullable('the person acting'),
      counterpartNode: nullable('the other party'),
      messageId: nullable('the item concerned'),
      messageType: nullable('its payload type, for example routeReport'),
      handlingCode: nullable('its handling code'),
      tlp: nullable('its TLP'),
      messageSha256: nullable('SHA-256 of the exact bytes'),
      rule: nullable('the rule that decided, for example POLICY.TLP_RED_NAMED_ONLY'),
      justification: nullable("an auditor's justification"),
      detail: { type: 'object', description: 'further facts of the operation (never message contents)' },
      correlationId: nullable('the correlation id of the request that caused it'),
    },
  ),
  AuditPage: objectSchema<Page<AuditRecord>>('A page of audit rows.', {
    items: { type: 'array', items: schemaRef('AuditRecord') },
    nextCursor: nullable('null on the last page; otherwise pass it back as `cursor`'),
  }),
  FlowCount: objectSchema<FlowCount>('How many operations of one kind went from one party to the other.', {
    operation: text('the operation'),
    messageType: nullable('the payload type'),
    handlingCode: nullable('the handling code'),
    count: { type: 'integer', minimum: 1 },
  }),
  FlowsPage: objectSchema<FlowsPage>('Operations from one party towards another in [since, until).', {
    from: text('the party acting'),
    to: text('the other party'),
    since: RFC3339('start, inclusive'),
    until: RFC3339('end, exclusive'),
    items: { type: 'array', items: schemaRef('FlowCount') },
    nextCursor: nullable('null on the last page; otherwise pass it back as `cursor`'),
  }),
  Liveness: {
    type: 'object',
    description: 'The process answers.',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['ok'] } },
  },
  Readiness: objectSchema<GatewayReadiness>(
    'Whether NATS and the credentials database answer within a second, and whether submissions are open.',
    {
      status: { type: 'string', enum: ['ready', 'not ready'] },
      checks: {
        type: 'object',
        required: ['nats', 'database'],
        properties: {
          nats: { type: 'string', enum: ['ok', 'unreachable'] },
          database: { type: 'string', enum: ['ok', 'unreachable'] },
        },
      },
      submissions: {
        type: 'string',
        enum: ['open', 'closed'],
        description: 'closed while the audit trail cannot record (fail closed): reads still work',
      },
    },
  ),
  PreviewAnswer: objectSchema<PreviewAnswer>(
    'Who would receive a draft and who not under which rule, decided by the router with the rules and ledger ' +
      'it routes by, publishing nothing. Not a promise: a submission is decided when it is routed.',
    {
      id: uuid("the draft's id (chosen by the gateway if absent)"),
      recipients: {
        type: 'array',
        items: schemaRef('PreviewDecision'),
        description: 'every candidate recipient, each delivered or withheld',
      },
      refusal: orNull({
        type: 'object',
        description:
          'set when a submission rule would refuse the submission as a whole (then every candidate is ' +
          'withheld); null otherwise',
        required: ['rule', 'reason'],
        properties: {
          rule: text('the submission rule, for example POLICY.TYPE_NOT_PERMITTED'),
          reason: text('why, in a sentence'),
        },
      }),
    },
  ),
  PreviewDecision: objectSchema<PreviewDecision>(
    'Whether one party would receive the draft, and by which rule.',
    {
      party: text('node id'),
      outcome: { type: 'string', enum: ['delivered', 'withheld'] },
      rule: text("the rule that decided: the withholding rule's code, or the rule a delivery rests on"),
      reason: text('why, in a sentence'),
    },
  ),
  MessageView: objectSchema<MessageView>('A message as the party that sent or received it sees it.', {
    id: uuid("the message's id"),
    type: text('its payload type, for example routeReport'),
    sender: text('the node that sent it'),
    role: {
      type: 'string',
      enum: ['originator', 'recipient'],
      description: "the party's relation to it: it sent it, or a copy was delivered or forwarded to it",
    },
    recalled: { type: 'boolean', description: 'whether its originator has recalled it' },
    item: {
      oneOf: [schemaRef('VouchedInboxEntry'), schemaRef('RefusedInboxEntry'), { type: 'null' }],
      description:
        "a recipient's copy as an inbox item (consulted and audited, GATEWAY.MESSAGE_READ); null for the " +
        'originator and after a recall',
    },
  }),
  Receipts: objectSchema<Receipts>(
    'What became of a submission, for its originator, from the audit trail: its own routing decisions, the ' +
      'forwards others made under its consent, and what was addressed to it about the item. Who read it is ' +
      "the auditors' to see.",
    {
      id: uuid("the message's id"),
      decisions: { type: 'array', items: schemaRef('ReceiptDecision') },
      acknowledgements: {
        type: 'array',
        items: schemaRef('ReceiptAnswer'),
        description: 'acknowledgements recipients sent',
      },
      shareRequests: {
        type: 'array',
        items: schemaRef('ReceiptAnswer'),
        description: 'requests for consent to share it on',
      },
      erasures: {
        type: 'array',
        items: schemaRef('ReceiptAnswer'),
        description: 'erasure receipts after a recall',
      },
    },
  ),
  ReceiptDecision: objectSchema<ReceiptDecision>('One routing decision about the item.', {
    party: text('the party concerned'),
    outcome: {
      type: 'string',
      enum: ['delivered', 'withheld', 'forwarded'],
      description: '`forwarded`: a copy another party forwarded to it under consent',
    },
    rule: nullable('the rule that decided'),
    reason: nullable('why, in a sentence'),
    at: RFC3339('when the audit store recorded it'),
    by: text('who sent the copy: the originator, or the party that forwarded it under consent'),
  }),
  ReceiptAnswer: objectSchema<ReceiptAnswer>(
    "A party's answer about the item, addressed to its originator.",
    {
      party: text('the party answering'),
      messageId: uuid('the id of its answer'),
      at: RFC3339('when the audit store recorded its delivery'),
    },
  ),
  AcknowledgementBody: actionBody<Record<never, never>>(
    'An acknowledgement takes no fields: `{}`, or no body at all.',
    {},
  ),
  ShareRequestBody: actionBody<Omit<ShareRequestDto, 'messageId'>>(
    "A request for the originator's consent to share the item with further parties.",
    {
      proposedRecipients: nodeIds('the node ids to share it with, each once'),
      justification: text('why, for the originator to decide on'),
    },
  ),
  ShareDecisionBody: actionBody<Omit<ShareDecisionDto, 'messageId'>>(
    "The originator's decision on a share request: a grant names whom it covers, a refusal says why.",
    {
      requestId: uuid('the id of the share request (its envelope), about this message'),
      granted: { type: 'boolean', description: 'true grants consent; false, or left out, refuses it' },
      reason: text('required when refusing; recorded when granting'),
      grantedRecipients: nodeIds(
        'the node ids the consent covers, a subset of the proposal: at least one when granted, none when refused',
      ),
      validUntil: RFC3339('when the consent ends; later than now'),
    },
    ['granted', 'reason', 'grantedRecipients', 'validUntil'],
  ),
  ForwardBody: actionBody<Pick<EnvelopeDto, 'consentRef' | 'recipients'>>(
    "A forward of the party's copy under the originator's consent.",
    {
      consentRef: uuid('the id of the share decision (its envelope) that grants consent'),
      recipients: nodeIds(
        'the node ids to forward it to; the router delivers it only to those the consent names',
      ),
    },
  ),
  RecallBody: actionBody<Omit<RecallDto, 'messageId'>>(
    'The originator recalls the item from every holder, forwards included.',
    {
      reason: {
        type: 'string',
        enum: protoEnumNames(RecallReasonSchema),
        description: 'msx.v1.RecallReason',
      },
      explanation: text('why, for every holder'),
    },
    ['explanation'],
  ),
  ChainStatus: objectSchema<ChainStatus>(
    "The audit chain's verification status as the audit service last checked it (incrementally, every 10 s " +
      'and on each request, which waits at most 5 s for a check that started after it). Seqs are decimal ' +
      'strings, times RFC 3339 in UTC.',
    {
      status: {
        type: 'string',
        enum: ['intact', 'broken', 'unverified'],
        description:
          '`unverified` until the first check has finished; `broken` from the first break found, kept until ' +
          'the audit service restarts and verifies afresh',
      },
      checkedAt: {
        type: ['string', 'null'],
        format: 'date-time',
        description: 'when the last check finished; null before the first',
      },
      verifiedThrough: orNull(
        objectSchema<NonNullable<ChainStatus['verifiedThrough']>>(
          "the last row verified in order from the trail's first, and when it was recorded; null while none is",
          { seq: seq('its seq'), recordedAt: RFC3339('when it was recorded') },
        ),
      ),
      rows: {
        type: 'integer',
        minimum: 0,
        description: "rows verified in order from the trail's first, up to `verifiedThrough`",
      },
      firstBreak: orNull(
        objectSchema<NonNullable<ChainStatus['firstBreak']>>(
          'the first bad row (or checkpoint size) found, and what does not match; null while none is',
          {
            seq: seq('the seq of the row, or the size of the checkpoint'),
            reason: text('what does not match'),
          },
        ),
      ),
      lastCheckpoint: orNull(
        objectSchema<NonNullable<ChainStatus['lastCheckpoint']>>(
          'the stored checkpoint with the largest size, and the witnesses that confirmed it; null before the first',
          {
            seq: seq('its size: the seq of the last row it covers'),
            rowHash: {
              type: 'string',
              pattern: '^[0-9a-f]{64}$',
              description: 'the row hash of that row, as the checkpoint signs it',
            },
            signedAt: RFC3339('when the audit service signed it'),
            witnesses: { type: 'array', items: schemaRef('WitnessConfirmation') },
          },
        ),
      ),
    },
  ),
  WitnessConfirmation: objectSchema<WitnessConfirmation>(
    'A witness node that took a checkpoint after checking its signature and syncing it to disk (one that ' +
      'refused it is left out). Whether its copies still match the trail is checked by `npm run audit:verify`.',
    {
      node: text('the party keeping the checkpoints, for example jot-mare'),
      confirmedAt: RFC3339("when its consumer's ack floor last moved"),
    },
  ),
  Whoami: objectSchema<Whoami>(
    "Who the bearer credential is: nothing but what the caller's own credential says.",
    {
      person: nullable("the person it was issued to; null for a node's system credential"),
      node: nullable('the node (or, for auditors and administrators, the organisation) it is bound to'),
      role: { type: 'string', enum: [...CREDENTIAL_ROLES] },
      expiresAt: {
        type: ['string', 'null'],
        format: 'date-time',
        description: 'when it expires; null for a configured token, which does not expire',
      },
    },
  ),
} satisfies Record<ApiSchemaName, SchemaObject>;
