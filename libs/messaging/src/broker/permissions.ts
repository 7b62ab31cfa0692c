import { Durables, Streams, Subjects } from '../subjects.js';

/** What one NATS user may publish and subscribe to (nats-server `permissions` block). */
export interface Permissions {
  publish: string[];
  subscribe: string[];
  /** May answer requests sent to it (publish to the reply subject of a message it received). */
  allowResponses: boolean;
}

/**
 * The reply-subject prefix of a node: JetStream acks and pull responses come back under it, and no other
 * node may subscribe to it. Clients must connect with `inboxPrefix` set to this.
 */
export const inboxPrefixOf = (principal: string) => `_INBOX_${principal}`;

/**
 * A node's rights: publish its own submissions and audit events, read its own inbox (and, as a witness,
 * the audit checkpoints) through its own durable consumers — and nothing else. It has no rights on another
 * node's subjects, on consumer creation, on message or direct get, or on the shared `_INBOX.>` (DESIGN §4).
 */
export function nodePermissions(node: string): Permissions {
  const inbox = Streams.inbox(node);
  const durable = Durables.inbox(node);
  const witness = Durables.witness(node);
  return {
    publish: [
      Subjects.submit(node),
      Subjects.audit(node),
      Subjects.deadLetter(node),
      '$JS.API.INFO',
      `$JS.API.CONSUMER.INFO.${inbox}.${durable}`,
      `$JS.API.CONSUMER.MSG.NEXT.${inbox}.${durable}`,
      `$JS.ACK.${inbox}.${durable}.>`,
      `$JS.API.CONSUMER.INFO.${Streams.checkpoints}.${witness}`,
      `$JS.API.CONSUMER.MSG.NEXT.${Streams.checkpoints}.${witness}`,
      `$JS.ACK.${Streams.checkpoints}.${witness}.>`,
    ],
    subscribe: [`${inboxPrefixOf(node)}.>`, `msx.health.${node}`],
    allowResponses: true,
  };
}

/**
 * The core services' rights. The router, the audit service and the gateway provision and run the
 * exchange, so they may manage its streams. Only the audit service may speak for the audit trail: it alone
 * publishes the heartbeat and answers status requests and queries, so no one can fake a healthy trail.
 */
export function servicePermissions(service: 'router' | 'audit' | 'gateway'): Permissions {
  const jetStream = ['$JS.API.>', '$JS.ACK.>'];
  const rights: Record<typeof service, { publish: string[]; subscribe: string[] }> = {
    router: {
      publish: [
        ...jetStream,
        'msx.deliver.>',
        Subjects.audit('msx-router'),
        'msx.ledger.>',
        'msx.dlq.>',
        Subjects.auditStatusRequest,
      ],
      subscribe: [Subjects.auditStatus],
    },
    audit: {
      publish: [
        ...jetStream,
        'msx.checkpoint.>',
        'msx.dlq.>',
        Subjects.audit('msx-audit'),
        Subjects.auditStatus,
      ],
      subscribe: [Subjects.auditStatusRequest, 'msx.query.audit.>'],
    },
    gateway: {
      publish: [
        ...jetStream,
        'msx.submit.>',
        Subjects.audit('msx-gateway'),
        Subjects.auditStatusRequest,
        'msx.query.audit.>',
      ],
      subscribe: [Subjects.auditStatus],
    },
  };
  return {
    publish: rights[service].publish,
    subscribe: [
      `${inboxPrefixOf(`msx-${service}`)}.>`,
      `msx.health.${service}`,
      ...rights[service].subscribe,
    ],
    allowResponses: true,
  };
}
