import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  envelopeToJson,
  MsxError,
  uuidv7,
  type AuditEvent,
  type VoucherRefusal,
  GATEWAY_NODE,
} from '#contracts';
import type { StoredMsg } from '@nats-io/jetstream';
import { publishAuditEvents, Streams, Subjects, type Bus } from '#messaging';
import { BUS, checkDeliveredCopy } from '#runtime';
import { actingOfficer } from '../auth/officer-binding.js';
import type { GatewayConfig } from '../gateway.config.js';
import { GATEWAY_CONFIG } from '../gateway.tokens.js';
import { consultationEvent } from '../http/consultation-event.js';

/** Items per page when the caller names no limit, and the most a page may hold. */
export const DEFAULT_INBOX_PAGE = 20;
export const MAX_INBOX_PAGE = 100;

/** What every item of a page shows: where it is and the hash of its exact bytes. */
interface InboxEntryBase {
  /** Position in the node's inbox; pass the last one back as `after` to read on. */
  seq: number;
  /** When it was stored in the inbox. */
  deliveredAt: string;
  /** SHA-256 of the exact bytes stored (the same hash as in the audit trail). */
  sha256: string;
}

/** An item the router vouched for: its envelope is shown. */
export interface VouchedInboxEntry extends InboxEntryBase {
  vouched: true;
  /** The envelope in its JSON form. */
  envelope: unknown;
}

/** An item the router did not vouch for (or that does not decode): shown without any of its contents. */
export interface RefusedInboxEntry extends InboxEntryBase {
  vouched: false;
  refusal: { code: VoucherRefusal; reason: string };
}

/** One item of a node's inbox as an officer reads it. */
export type InboxEntry = VouchedInboxEntry | RefusedInboxEntry;

export interface InboxPage {
  items: InboxEntry[];
  /** The `after` for the next page; equal to the request's when nothing new has arrived. */
  nextAfter: number;
}

/** What an officer asks for: the page after a position. */
export interface InboxRead {
  node: string;
  officer: string;
  after: number;
  limit: number;
  correlationId: string;
}

/**
 * Checks the query of an inbox read. The officer is required, because every consultation names its person,
 * and must be an officer of the token's node, because the trail records that person as the one who read.
 * @throws OfficerNotOfNodeError `GATEWAY.OFFICER_NOT_OF_NODE` (403) for an officer of anyone else or in any
 *   other form, before anything else is checked
 * @throws MsxError `GATEWAY.INVALID_QUERY` naming each bad parameter
 */
export function checkInboxQuery(
  node: string,
  named: unknown,
  after: unknown,
  limit: unknown,
  holder?: string,
): Omit<InboxRead, 'node' | 'correlationId'> {
  const problems: string[] = [];
  // A personal credential reads as its holder; a node's system credential names the officer reading.
  const officer = actingOfficer(named, node, 'x-msx-officer', holder);
  if (officer === undefined)
    problems.push(`header x-msx-officer must name the officer reading (for example ${node}.officer-17)`);
  const a = after === undefined ? 0 : Number(after);
  if (!Number.isSafeInteger(a) || a < 0) problems.push('after must be a position (an integer of 0 or more)');
  const l = limit === undefined ? DEFAULT_INBOX_PAGE : Number(limit);
  if (!Number.isInteger(l) || l < 1 || l > MAX_INBOX_PAGE)
    problems.push(`limit must be an integer from 1 to ${MAX_INBOX_PAGE}`);
  if (problems.length > 0) throw new MsxError('GATEWAY.INVALID_QUERY', problems.join('; '));
  return { officer: officer as string, after: a, limit: l };
}

/**
 * An officer reads the node's inbox through the gateway: the items after a position, in delivery order,
 * without taking them from the node's own consumer. Each item carries the verdict on its router voucher
 * (DESIGN §4): a vouched item shows its envelope; an item that does not decode or is not vouched for shows
 * only its position, hash and refusal, and never fails the page. Each vouched item read is a consultation,
 * recorded in the audit trail before anything is returned; if it cannot be recorded, nothing is returned. A
 * refused item is not recorded as consulted: none of its contents is disclosed, and it is not intelligence
 * the exchange delivered (the node's inbox worker records the refusal itself). Recalled items are no longer
 * there to read.
 */
@Injectable()
export class ReadInboxHandler {
  private readonly logger = new Logger('ReadInbox');
  private readonly routerPublicKey: Uint8Array;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.routerPublicKey = config.MSX_ROUTER_KEY_FILE.publicKeyDer;
  }

  async read(r: InboxRead): Promise<InboxPage> {
    const stream = Streams.inbox(r.node);
    const items: InboxEntry[] = [];
    const events: AuditEvent[] = [];
    let seq = r.after + 1;
    while (items.length < r.limit) {
      // Direct get of the next item at or after `seq`: reads without touching the node's consumer.
      const m = await this.bus.jsm.direct
        .getMessage(stream, { seq, next_by_subj: Subjects.deliver(r.node) })
        .catch(busAway);
      if (!m) break;
      seq = m.seq + 1;
      const { entry, event } = this.entryOf(m, r, 'GATEWAY.INBOX_READ');
      items.push(entry);
      if (event) events.push(event);
    }
    if (events.length > 0) await publishAuditEvents(this.bus.js, GATEWAY_NODE, events, uuidv7());
    const refused = items.length - events.length;
    this.logger.log(
      `${r.officer} read ${items.length} item(s) of the inbox of ${r.node}` +
        `${refused > 0 ? `, ${refused} not vouched for` : ''} [${r.correlationId}]`,
    );
    return { items, nextAfter: items.at(-1)?.seq ?? r.after };
  }

  /**
   * One item of the node's inbox by its position, consulted and audited like an item of a page (under
   * `rule`); undefined when the position holds nothing of the node's (removed on recall, or aged out).
   */
  async readAt(
    r: Omit<InboxRead, 'after' | 'limit'>,
    seq: number,
    rule: string,
  ): Promise<InboxEntry | undefined> {
    const m = await this.bus.jsm.direct.getMessage(Streams.inbox(r.node), { seq }).catch(busAway);
    if (!m || m.subject !== Subjects.deliver(r.node)) return undefined;
    const { entry, event } = this.entryOf(m, r, rule);
    if (event) await publishAuditEvents(this.bus.js, GATEWAY_NODE, [event], uuidv7());
    this.logger.log(`${r.officer} read #${seq} of the inbox of ${r.node} [${r.correlationId}]`);
    return entry;
  }

  /** An inbox item as shown, with the consultation to record when its envelope is shown. */
  private entryOf(
    m: StoredMsg,
    r: Omit<InboxRead, 'after' | 'limit'>,
    rule: string,
  ): { entry: InboxEntry; event?: AuditEvent } {
    const at = { seq: m.seq, deliveredAt: m.time.toISOString() };
    const copy = checkDeliveredCopy(this.routerPublicKey, r.node, m.data, (name) => m.header?.get(name));
    if (!copy.vouched) {
      this.logger.warn(`inbox of ${r.node} #${m.seq} is not vouched for: ${copy.code} [${r.correlationId}]`);
      return {
        entry: {
          ...at,
          sha256: copy.sha256,
          vouched: false,
          refusal: { code: copy.code, reason: copy.reason },
        },
      };
    }
    const { envelope, sha256 } = copy;
    return {
      entry: { ...at, sha256, vouched: true, envelope: envelopeToJson(envelope) },
      event: consultationEvent({
        actorNode: r.node,
        actorPerson: r.officer,
        counterpartNode: envelope.sender,
        messageId: envelope.id,
        messageType: envelope.payload.case ?? '',
        handlingCode: envelope.handlingCode,
        tlp: envelope.tlp,
        messageSha256: sha256,
        rule,
        correlationId: r.correlationId,
        detail: { via: 'gateway', inboxSeq: m.seq },
      }),
    };
  }
}

/** Nothing at or after a position is answered with null, not an error: any error is the bus being away. */
function busAway(err: unknown): never {
  throw new MsxError('BUS.UNAVAILABLE', `cannot read the inbox: ${(err as Error).message}`, {
    cause: err,
    retryable: true,
  });
}
