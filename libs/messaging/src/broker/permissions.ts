import { ADMIN_PRINCIPAL, SERVICE_PRINCIPALS, type CoreService } from '#contracts';
import { Durables, Streams, Subjects } from '../subjects.js';

/** What one NATS user may publish and subscribe to within its account (nats-server `permissions` block). */
export interface Permissions {
  publish: string[];
  /**
   * Subjects it may not publish to although `publish` allows them (nats-server `publish.deny`, which wins over
   * `allow`); nothing more when absent. How a core service keeps the JetStream API as a whole but loses the
   * calls that remove what the streams hold ({@link servicePermissions}).
   */
  publishDeny?: string[];
  subscribe: string[];
  /**
   * May answer requests sent to it (publish once to the reply subject of a message it received), for this
   * long after receiving it; or not at all (`false`). nats-server remembers the reply subject of every message
   * it delivers to such a user for that long, and once it remembers more than 4,096 it walks all of them on
   * each delivery: the window must stay short for a user that consumes streams ({@link RESPONSE_WINDOW_MS}).
   */
  allowResponses: false | { windowMs: number };
}

/**
 * How long a party may answer a request it received (its health subject, the only one that reaches it). Short
 * on purpose: a longer window makes the broker remember every delivery's reply subject that long, and at
 * more than 4,096 of them each delivery to the party costs a walk over all of them.
 */
export const RESPONSE_WINDOW_MS = 2_000;

/** The core account: it owns JetStream and holds the core services. Parties each have an account of their own. */
export const CORE_ACCOUNT = 'MSX';

/** The core services; with the operator's principal, every other principal is a party (a node of the directory). */
export const CORE_SERVICES = Object.keys(SERVICE_PRINCIPALS) as CoreService[];
export const CORE_PRINCIPALS: readonly string[] = [...Object.values(SERVICE_PRINCIPALS), ADMIN_PRINCIPAL];

export function isCorePrincipal(principal: string): boolean {
  return CORE_PRINCIPALS.includes(principal);
}

/**
 * Where a party's account sees the few JetStream API subjects imported from the core account. A party's own
 * account has no JetStream, so `$JS.API.*` there answers "not enabled"; the imports live under this prefix
 * and the party's client is configured with it (`jetstream(nc, { apiPrefix })`).
 */
export const PARTY_JS_API_PREFIX = 'JS.MSX.API';

/**
 * The reply-subject prefix of a principal: JetStream acks and pull responses come back under it. Clients must
 * connect with `inboxPrefix` set to this.
 */
export const inboxPrefixOf = (principal: string) => `_INBOX_${principal}`;

/** One service the core account exports to exactly one party, seen in the party's account as `local`. */
export interface PartyService {
  /** Subject in the core account. */
  subject: string;
  /** Subject in the party's account (the same unless a JetStream API subject moves under the party prefix). */
  local: string;
  /** Several responses per request (a pull request for messages). */
  streamResponse?: boolean;
}

/** The JetStream API of one durable pull consumer, as a party reaches it: info, next message(s), acks. */
function consumerServices(stream: string, durable: string): PartyService[] {
  const api = (op: string) => `CONSUMER.${op}.${stream}.${durable}`;
  const ack = `$JS.ACK.${stream}.${durable}.>`;
  return [
    { subject: `$JS.API.${api('INFO')}`, local: `${PARTY_JS_API_PREFIX}.${api('INFO')}` },
    {
      subject: `$JS.API.${api('MSG.NEXT')}`,
      local: `${PARTY_JS_API_PREFIX}.${api('MSG.NEXT')}`,
      streamResponse: true,
    },
    { subject: ack, local: ack },
  ];
}

/**
 * Everything that crosses from a party's account into the core account, and nothing more (DESIGN §4): its
 * own submit and audit subjects, and the next-message, info and ack API of its own inbox consumer and of its
 * witness consumer on the checkpoint stream. They cross as services, so the broker answers on a reply
 * subject it maps back into the party's account: no reply subject a party chooses is ever published in the
 * core account, where the streams would capture it.
 */
export function partyServices(node: string): PartyService[] {
  const same = (subject: string): PartyService => ({ subject, local: subject });
  return [
    same(Subjects.submit(node)),
    same(Subjects.audit(node)),
    ...consumerServices(Streams.inbox(node), Durables.inbox(node)),
    ...consumerServices(Streams.checkpoints, Durables.witness(node)),
  ];
}

/**
 * A party's rights inside its own account: the imported services, its own replies and its health subject.
 * Its account holds nothing else, so these limits are a second fence, not the first.
 */
export function partyPermissions(node: string): Permissions {
  return {
    publish: partyServices(node).map((s) => s.local),
    subscribe: [`${inboxPrefixOf(node)}.>`, Subjects.health(node)],
    // Its health answer goes to a reply subject the broker makes up for the core account's request.
    allowResponses: { windowMs: RESPONSE_WINDOW_MS },
  };
}

/**
 * The streams that have a name of their own (every constant of `Streams`): all but the inboxes, which are
 * named per node. A deny list can name only these: NATS wildcards match whole tokens, so no subject means
 * "every `MSX_INBOX_…` stream", and a deny wins over any allow, so "all but the inboxes" cannot be written
 * either. What is denied on every named stream is therefore denied everywhere but on the inboxes.
 */
export const NAMED_STREAMS: readonly string[] = Object.values<unknown>(Streams).filter(
  (s): s is string => typeof s === 'string',
);

/** What a core service does through the JetStream API beyond reading, publishing and acknowledging. */
interface JetStreamUse {
  /** The named streams it declares at start (creates, or brings to the declared limits), or all of them. */
  declares: readonly string[] | 'all';
  /** Deletes single messages from inboxes (the router withdraws a recalled copy). */
  deletesInboxMessages: boolean;
  /** Named streams it deletes consumers on: an ordered consumer deletes its consumer when it resets. */
  deletesConsumersOn: readonly string[];
  /** Creates or updates consumers: its durable at start, or ordered consumers that read a stream. */
  createsConsumers: boolean;
}

/**
 * What each core service does with the JetStream API, as its code does it (checked by
 * `service-rights.int-spec.ts` under the rights that follow). None deletes or purges a stream.
 */
const JETSTREAM_USE: Record<CoreService, JetStreamUse> = {
  // Provisions the whole exchange at start (busTopology), withdraws recalled copies from inboxes, and reads
  // its ledger with ordered consumers.
  router: {
    declares: 'all',
    deletesInboxMessages: true,
    deletesConsumersOn: [Streams.ledger],
    createsConsumers: true,
  },
  // Declares the audit, dead-letter and checkpoint streams and its consumer on the audit stream; reads
  // checkpoints and lists the witnesses' consumers.
  audit: {
    declares: [Streams.audit, Streams.deadLetter, Streams.checkpoints],
    deletesInboxMessages: false,
    deletesConsumersOn: [],
    createsConsumers: true,
  },
  // Declares the submit stream; reads inboxes by direct get and the audit consumer's backlog by its info.
  gateway: {
    declares: [Streams.submit],
    deletesInboxMessages: false,
    deletesConsumersOn: [],
    createsConsumers: false,
  },
};

const jsApi = (...tokens: string[]) => ['$JS.API', ...tokens].join('.');

/**
 * The JetStream API calls a core service may not make although it may use the API: whatever would remove
 * messages it does not need to remove. No service deletes or purges a stream. Only the router deletes
 * messages, and only from inboxes (every named stream is denied). Consumers are deleted only where a service
 * deletes its own. A service that declares some streams only may not create or update the other named ones,
 * so it cannot lower their limits either. The inboxes cannot be named: the router creates and updates them,
 * and the others could too.
 */
function jetStreamDenials(use: JetStreamUse): string[] {
  const others = (mine: readonly string[]) => NAMED_STREAMS.filter((s) => !mine.includes(s));
  return [
    jsApi('STREAM.DELETE.>'),
    jsApi('STREAM.PURGE.>'),
    ...(use.deletesInboxMessages
      ? NAMED_STREAMS.map((s) => jsApi('STREAM.MSG.DELETE', s))
      : [jsApi('STREAM.MSG.DELETE.>')]),
    ...(use.declares === 'all'
      ? []
      : others(use.declares).flatMap((s) => [jsApi('STREAM.CREATE', s), jsApi('STREAM.UPDATE', s)])),
    ...(use.deletesConsumersOn.length > 0
      ? others(use.deletesConsumersOn).map((s) => jsApi('CONSUMER.DELETE', s, '>'))
      : [jsApi('CONSUMER.DELETE.>')]),
    ...(use.createsConsumers ? [] : [jsApi('CONSUMER.CREATE.>'), jsApi('CONSUMER.DURABLE.CREATE.>')]),
  ];
}

/**
 * The core services' rights inside the core account. The router, the audit service and the gateway provision
 * and run the exchange, so they use the JetStream API, less the calls that would remove what its streams
 * hold ({@link jetStreamDenials}). Only the audit service may speak for the audit trail: it alone publishes
 * the heartbeat and answers status requests and queries, so no one can fake a healthy trail. Only the router
 * writes into inboxes, and it alone answers the gateway's questions about items (where a party stands
 * towards one, who would receive a draft), which only the gateway may ask.
 */
export function servicePermissions(service: CoreService): Permissions {
  const jetStream = ['$JS.API.>', '$JS.ACK.>'];
  const rights: Record<CoreService, { publish: string[]; subscribe: string[] }> = {
    router: {
      publish: [
        ...jetStream,
        Subjects.deliverTree,
        Subjects.audit(SERVICE_PRINCIPALS.router),
        Subjects.ledgerAll,
        Subjects.deadLetterTree,
        Subjects.auditStatusRequest,
      ],
      subscribe: [Subjects.auditStatus, Subjects.routerQueryTree],
    },
    audit: {
      publish: [
        ...jetStream,
        Subjects.checkpointTree,
        Subjects.deadLetterTree,
        Subjects.audit(SERVICE_PRINCIPALS.audit),
        Subjects.auditStatus,
      ],
      subscribe: [Subjects.auditStatusRequest, Subjects.auditQueryTree],
    },
    gateway: {
      publish: [
        ...jetStream,
        Subjects.submitTree,
        Subjects.audit(SERVICE_PRINCIPALS.gateway),
        Subjects.auditStatusRequest,
        Subjects.auditQueryTree,
        Subjects.routerQueryTree,
      ],
      subscribe: [Subjects.auditStatus],
    },
  };
  return {
    // Requests reach a core service only from the core account, whose principals all read replies under
    // their own inbox prefix: the service answers there, by name. Not `allow_responses`: the broker would
    // then remember the reply subject of every message it delivers to the service (each JetStream delivery
    // has one), and the services consume thousands a second.
    publish: [...rights[service].publish, ...CORE_PRINCIPALS.map((p) => `${inboxPrefixOf(p)}.>`)],
    publishDeny: jetStreamDenials(JETSTREAM_USE[service]),
    subscribe: [
      `${inboxPrefixOf(SERVICE_PRINCIPALS[service])}.>`,
      Subjects.health(service),
      ...rights[service].subscribe,
    ],
    allowResponses: false,
  };
}

/** The operator: everything in the core account (health of every party included), nothing in a party's. */
export function adminPermissions(): Permissions {
  // Publishing anywhere includes every reply subject: `allow_responses` would only add the broker's
  // bookkeeping of each message delivered to it.
  return { publish: ['>'], subscribe: ['>'], allowResponses: false };
}
