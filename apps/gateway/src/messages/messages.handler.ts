import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ContractViolationError,
  encodeEnvelope,
  envelopeFromJson,
  GATEWAY_NODE,
  HandlingCodeSchema,
  isUuid,
  MsxError,
  RULE,
  sha256Hex,
  TlpSchema,
  unknownPropertyMessage,
  uuidv7,
  type AuditRecord,
  type ItemView,
  type Page,
  type PreviewAnswer,
} from '#contracts';
import type { DescEnum } from '@bufbuild/protobuf';
import { publishAuditEvents, Subjects, type Bus } from '#messaging';
import { BUS } from '#runtime';
import { AuditQueryClient } from '../consult-audit/audit-query.client.js';
import type { InboxEntry } from '../read-inbox/read-inbox.handler.js';
import { ReadInboxHandler } from '../read-inbox/read-inbox.handler.js';
import {
  completeEnvelopeJson,
  SubmitMessageHandler,
  type SubmitResult,
} from '../submit-message/submit-message.handler.js';
import { PreviewBudget } from '../auth/preview-budget.js';
import { RouterQueryClient } from './router-query.client.js';
import { consultationEvent } from '../http/consultation-event.js';

/** Who acts in a request about a message: the credential's node and the person acting for it. */
export interface Actor {
  node: string;
  officer: string;
  correlationId: string;
  /** The holder of a personal credential (who alone may be named); undefined for a node's system credential. */
  holder?: string;
}

/** A message as the party that sent or received it sees it. */
export interface MessageView {
  id: string;
  type: string;
  sender: string;
  role: 'originator' | 'recipient';
  recalled: boolean;
  /** The party's copy from its inbox (a recipient's, while it is there); null for the originator. */
  item: InboxEntry | null;
}

/** One routing decision about an item, as its originator sees it. */
export interface ReceiptDecision {
  party: string;
  outcome: 'delivered' | 'withheld' | 'forwarded';
  rule: string | null;
  reason: string | null;
  at: string;
  /** Who sent the copy: the originator, or the party that forwarded it under consent. */
  by: string;
}

/** A party's answer about an item, addressed to its originator. */
export interface ReceiptAnswer {
  party: string;
  messageId: string;
  at: string;
}

/** What became of a submission, for its originator. */
export interface Receipts {
  id: string;
  decisions: ReceiptDecision[];
  acknowledgements: ReceiptAnswer[];
  shareRequests: ReceiptAnswer[];
  erasures: ReceiptAnswer[];
}

/** The one answer for a message a party may not see and for one that does not exist. */
export const notFound = () =>
  new MsxError('GATEWAY.NOT_FOUND', 'no such message among those your party sent or received');

/** Pages of the trail read for one item's receipts, at most: a bound on one request's work. */
const MAX_TRAIL_PAGES = 20;
const TRAIL_PAGE = 1_000;

/** The control message a recipient or the originator sends about an item, by its payload field. */
type ItemAction = 'acknowledgement' | 'shareRequest' | 'shareDecision' | 'recall';

/**
 * What a party does with a message it sent or received, at the gateway: read it, see what became of it,
 * acknowledge it, ask its originator's consent to share it on, decide on such a request, forward it under
 * consent, recall it; and ask who would receive a draft. Where a party stands towards a message is the
 * router's answer from its ledger, never the caller's word: a message the party neither sent nor received is
 * answered exactly like one that does not exist (404). Every action is an envelope submitted like any other,
 * so every contract and sharing rule applies to it and the trail records it.
 */
@Injectable()
export class MessagesHandler {
  private readonly logger = new Logger('Messages');

  constructor(
    private readonly router: RouterQueryClient,
    private readonly inbox: ReadInboxHandler,
    private readonly submitter: SubmitMessageHandler,
    private readonly audit: AuditQueryClient,
    @Inject(BUS) private readonly bus: Bus,
    private readonly previews: PreviewBudget,
  ) {}

  /** The message as the party sees it; its copy is consulted and audited like an inbox read. */
  async find(a: Actor, id: string): Promise<MessageView> {
    const view = await this.visible(a, id);
    const item =
      view.role === 'recipient' && view.copySeq !== undefined
        ? ((await this.inbox.readAt(a, view.copySeq, 'GATEWAY.MESSAGE_READ')) ?? null)
        : null;
    return {
      id: view.messageId,
      type: view.type,
      sender: view.originator,
      role: view.role,
      recalled: view.recalled,
      item,
    };
  }

  /**
   * What became of a submission, for its originator only: each routing decision with its rule, the consented
   * forwards, and the acknowledgements, share requests and erasure receipts addressed to it. Read from the
   * audit trail; the reading is itself recorded.
   */
  async receipts(a: Actor, id: string): Promise<Receipts> {
    const view = await this.visible(a, id);
    if (view.role !== 'originator') throw notFound();
    const rows: AuditRecord[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TRAIL_PAGES; page++) {
      const p = await this.audit.request<Page<AuditRecord>>(Subjects.auditQuery.trail, {
        messageId: view.messageId,
        limit: TRAIL_PAGE,
        ...(cursor ? { cursor } : {}),
      });
      rows.push(...p.items);
      if (!p.nextCursor) break;
      cursor = p.nextCursor;
    }
    const receipts = receiptsOf(view.messageId, a.node, rows);
    await this.consulted(a, view, 'GATEWAY.RECEIPTS_READ', { rows: rows.length });
    return receipts;
  }

  /** A recipient acknowledges an item to its originator. */
  async acknowledge(a: Actor, id: string, body: unknown): Promise<SubmitResult> {
    const view = await this.visible(a, id);
    if (view.role !== 'recipient') throw notRecipient('acknowledge');
    checkFields(body, '', []);
    return this.act(a, view, [view.originator], 'acknowledgement', {
      receivedAt: new Date().toISOString(),
    });
  }

  /** A recipient asks the originator's consent to share an item with further parties. */
  async requestShare(a: Actor, id: string, body: unknown): Promise<SubmitResult> {
    const view = await this.visible(a, id);
    if (view.role !== 'recipient') throw notRecipient('ask to share on');
    const b = checkFields(body, 'shareRequest', ['proposedRecipients', 'justification']);
    return this.act(a, view, [view.originator], 'shareRequest', b);
  }

  /** The originator grants or refuses a share request about its item. */
  async decideShare(a: Actor, id: string, body: unknown): Promise<SubmitResult> {
    // Whether the party may see the message at all comes first: a foreign id is a 404 whatever the body.
    if ((await this.visible(a, id)).role !== 'originator') throw notOriginator('decide on a share request');
    const fields = checkFields(body, 'shareDecision', [
      'requestId',
      'granted',
      'reason',
      'grantedRecipients',
      'validUntil',
    ]);
    const requestId = fields.requestId;
    if (!isUuid(requestId)) {
      throw violation('shareDecision.requestId', RULE.uuid, 'requestId must name the share request (a UUID)');
    }
    const view = await this.visible(a, id, requestId.toLowerCase());
    if (!view.request) {
      throw new MsxError('GATEWAY.NOT_FOUND', 'no such share request about this message');
    }
    return this.act(a, view, [view.request.requester], 'shareDecision', {
      ...fields,
      requestId: view.request.requestId,
    });
  }

  /** The originator recalls its item from everyone who holds it. */
  async recall(a: Actor, id: string, body: unknown): Promise<SubmitResult> {
    const view = await this.visible(a, id);
    if (view.role !== 'originator') throw notOriginator('recall');
    const b = checkFields(body, 'recall', ['reason', 'explanation']);
    // The router sends a recall to every holder: no recipient is named.
    return this.act(a, view, [], 'recall', b);
  }

  /**
   * A recipient forwards its copy under the originator's consent: the same intelligence, byte for byte in
   * its payload, under a new id, citing the decision that allows it; the router delivers it only to the
   * parties the consent names.
   */
  async forward(a: Actor, id: string, body: unknown): Promise<SubmitResult> {
    const view = await this.visible(a, id);
    if (view.role !== 'recipient') throw notRecipient('forward');
    const b = checkFields(body, '', ['consentRef', 'recipients']);
    // Without a consent it would be the party's own submission of another's intelligence: not a forward.
    if (!isUuid(b.consentRef)) {
      throw violation(
        'consentRef',
        RULE.required,
        'consentRef must name the decision that allows the forward',
      );
    }
    const copy =
      view.copySeq !== undefined
        ? await this.inbox.readAt(a, view.copySeq, 'GATEWAY.FORWARD_READ')
        : undefined;
    if (!copy?.vouched) {
      throw new MsxError('GATEWAY.NOT_FOUND', 'your party holds no copy of this message to forward');
    }
    const original = copy.envelope as Record<string, unknown>;
    return this.submitter.submit(
      {
        ...original,
        id: uuidv7(),
        sender: a.node,
        author: a.officer,
        createdAt: new Date().toISOString(),
        recipients: b.recipients,
        consentRef: b.consentRef,
      },
      a.node,
      a.correlationId,
      a.holder,
    );
  }

  /**
   * Who would receive `json` (an envelope as `POST /v1/messages` takes it) if the party submitted it now, by
   * the router's own rules, publishing nothing. The preview is recorded in the trail as a consultation.
   */
  async preview(a: Actor, json: unknown): Promise<PreviewAnswer> {
    this.previews.take(a);
    const envelope = envelopeFromJson(completeEnvelopeJson(json, a.node, Date.now(), a.holder));
    const bytes = encodeEnvelope(envelope);
    const answer = await this.router.preview(a.node, bytes);
    const delivered = answer.recipients.filter((r) => r.outcome === 'delivered').length;
    await publishAuditEvents(
      this.bus.js,
      GATEWAY_NODE,
      [
        consultationEvent({
          actorNode: a.node,
          actorPerson: envelope.author,
          messageId: envelope.id,
          messageType: envelope.payload.case ?? '',
          handlingCode: envelope.handlingCode,
          tlp: envelope.tlp,
          messageSha256: sha256Hex(bytes),
          rule: 'GATEWAY.PREVIEW',
          correlationId: a.correlationId,
          detail: {
            via: 'gateway',
            delivered,
            withheld: answer.recipients.length - delivered,
            ...(answer.refusal ? { refusal: answer.refusal.rule } : {}),
          },
        }),
      ],
      uuidv7(),
    );
    this.logger.log(
      `${envelope.author} previewed ${envelope.payload.case} ${envelope.id}: ${delivered} of ` +
        `${answer.recipients.length} would receive it [${a.correlationId}]`,
    );
    return answer;
  }

  /** The router's view of a message the party sent or received; anything else is not found. */
  private async visible(
    a: Actor,
    id: string,
    requestId?: string,
  ): Promise<Extract<ItemView, { found: true }>> {
    if (!isUuid(id)) throw notFound();
    const view = await this.router.item(a.node, id.toLowerCase(), requestId);
    if (!view.found) throw notFound();
    return view;
  }

  /** Submits a control message about an item, marked like the item and in its thread. */
  private act(
    a: Actor,
    view: Extract<ItemView, { found: true }>,
    recipients: string[],
    action: ItemAction,
    fields: Record<string, unknown>,
  ): Promise<SubmitResult> {
    return this.submitter.submit(
      {
        author: a.officer,
        recipients,
        threadId: view.messageId,
        inReplyTo: view.messageId,
        handlingCode: enumName(HandlingCodeSchema, view.handlingCode),
        tlp: enumName(TlpSchema, view.tlp),
        releasability: { scope: 'RELEASABILITY_SCOPE_EU_ONLY' },
        [action]: { ...fields, messageId: view.messageId },
      },
      a.node,
      a.correlationId,
      a.holder,
    );
  }

  private async consulted(
    a: Actor,
    view: Extract<ItemView, { found: true }>,
    rule: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await publishAuditEvents(
      this.bus.js,
      GATEWAY_NODE,
      [
        consultationEvent({
          actorNode: a.node,
          actorPerson: a.officer,
          messageId: view.messageId,
          messageType: view.type,
          handlingCode: view.handlingCode,
          tlp: view.tlp,
          rule,
          correlationId: a.correlationId,
          detail: { via: 'gateway', ...detail },
        }),
      ],
      uuidv7(),
    );
  }
}

/**
 * The receipts of an item for its originator, from the item's trail: the routing decisions on its own
 * submission, the forwards others made under its consent, and what was addressed to it about the item.
 * Nothing else of the trail (who read it, what others were refused) is the originator's to see.
 */
export function receiptsOf(id: string, originator: string, rows: readonly AuditRecord[]): Receipts {
  const decisions: ReceiptDecision[] = [];
  const answers: Record<'acknowledgement' | 'shareRequest' | 'erasureReceipt', ReceiptAnswer[]> = {
    acknowledgement: [],
    shareRequest: [],
    erasureReceipt: [],
  };
  for (const r of rows) {
    if (r.counterpartNode === null) continue;
    const own = r.messageId === id && r.actorNode === originator;
    if (own && (r.operation === 'delivered' || r.operation === 'withheld')) {
      decisions.push(decisionOf(r, r.operation));
    } else if (r.operation === 'forwarded') {
      decisions.push(decisionOf(r, 'forwarded'));
    } else if (
      r.operation === 'delivered' &&
      r.counterpartNode === originator &&
      r.messageId !== null &&
      (r.messageType === 'acknowledgement' ||
        r.messageType === 'shareRequest' ||
        r.messageType === 'erasureReceipt')
    ) {
      answers[r.messageType].push({ party: r.actorNode, messageId: r.messageId, at: r.recordedAt });
    }
  }
  return {
    id,
    decisions,
    acknowledgements: answers.acknowledgement,
    shareRequests: answers.shareRequest,
    erasures: answers.erasureReceipt,
  };
}

function decisionOf(r: AuditRecord, outcome: ReceiptDecision['outcome']): ReceiptDecision {
  const reason = r.detail.reason;
  return {
    party: r.counterpartNode as string,
    outcome,
    rule: r.rule,
    reason: typeof reason === 'string' ? reason : null,
    at: r.recordedAt,
    by: r.actorNode,
  };
}

/**
 * The body of an action: a JSON object with only the named fields. Its fields are checked by the contract
 * once they are in the envelope; an unknown one is refused here, at `parent` (the key itself is never
 * repeated), as the contract would.
 */
function checkFields(body: unknown, parent: string, allowed: readonly string[]): Record<string, unknown> {
  const b = body ?? {};
  if (typeof b !== 'object' || Array.isArray(b)) {
    throw violation(parent, RULE.jsonObject, 'the body must be a JSON object');
  }
  for (const key of Object.keys(b)) {
    if (!allowed.includes(key)) throw violation(parent, RULE.unknownProperty, unknownPropertyMessage(parent));
  }
  return b as Record<string, unknown>;
}

/** The JSON name of an enum value (`HANDLING_CODE_H2`), as the contract's JSON form takes it. */
const enumName = (e: DescEnum, n: number): string | number => e.values.find((v) => v.number === n)?.name ?? n;

const violation = (field: string, rule: string, message: string) =>
  new ContractViolationError([{ field, rule, message }]);

const notRecipient = (what: string) =>
  new MsxError('GATEWAY.FORBIDDEN', `only a party the message was delivered to may ${what} it`);
const notOriginator = (what: string) =>
  new MsxError('GATEWAY.FORBIDDEN', `only the message's originator may ${what}`);
