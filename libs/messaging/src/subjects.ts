/**
 * Every subject and stream name of MSX, in one place. Subjects are shaped for broker-level isolation
 * (DESIGN §4): each node publishes only on subjects that end in its own id and reads only its own inbox
 * stream, so its credentials never need rights on another node's subjects or on a shared stream's API.
 */
export const Subjects = {
  /** Where a node (or the gateway on its behalf) submits envelopes: `msx.submit.<sender>`. */
  submit: (node: string) => `msx.submit.${node}`,
  submitAll: 'msx.submit.*',
  /** Every submit subject, in broker permissions. */
  submitTree: 'msx.submit.>',
  /** A node's inbox: `msx.deliver.<recipient>`. */
  deliver: (node: string) => `msx.deliver.${node}`,
  /** Every inbox subject, in broker permissions. */
  deliverTree: 'msx.deliver.>',
  /** Audit events about operations performed by `actor`: `msx.audit.<actor>`. */
  audit: (actor: string) => `msx.audit.${actor}`,
  auditAll: 'msx.audit.*',
  /** Messages a service could not process, by the service that gave up on them: `msx.dlq.<service>`. */
  deadLetter: (service: string) => `msx.dlq.${service}`,
  deadLetterAll: 'msx.dlq.*',
  /** Every dead-letter subject, in broker permissions. */
  deadLetterTree: 'msx.dlq.>',
  /** Signed checkpoints of the audit trail, published by the audit service for the witnesses. */
  checkpointAudit: 'msx.checkpoint.audit',
  /** Every checkpoint subject, in broker permissions. */
  checkpointTree: 'msx.checkpoint.>',
  /** The router's ledger: items and their locks, payload and selector indexes, share requests, consents (`msx.ledger.<kind>.<id>`). */
  ledger: (kind: 'id' | 'item' | 'lock' | 'payload' | 'selector' | 'request' | 'consent', id: string) =>
    `msx.ledger.${kind}.${id}`,
  ledgerAll: 'msx.ledger.>',
  /** Core NATS (not a stream): the audit service's heartbeat, whether it can record (msx.v1.AuditStatus). */
  auditStatus: 'msx.status.audit',
  /** Request/reply: the audit service answers its current AuditStatus at once. */
  auditStatusRequest: 'msx.status.audit.request',
  /** Request/reply queries of the audit trail, answered by the audit service (outside `msx.audit.*`). */
  auditQuery: {
    trail: 'msx.query.audit.trail',
    flows: 'msx.query.audit.flows',
    officerActivity: 'msx.query.audit.officer-activity',
    /** The chain's verification status, as the audit service last checked it. */
    chain: 'msx.query.audit.chain',
    /** One page of the rows recorded in a period, as CSV or JSON Lines text. */
    export: 'msx.query.audit.export',
  },
  /** Every query of the audit trail, in broker permissions. */
  auditQueryTree: 'msx.query.audit.>',
  /**
   * Request/reply queries about items, answered by the router for the gateway on a party's behalf: where the
   * party stands towards an item, and who would receive a draft (see `#contracts` router-queries).
   */
  routerQuery: {
    item: 'msx.query.router.item',
    preview: 'msx.query.router.preview',
  },
  /** Every query the router answers, in broker permissions. */
  routerQueryTree: 'msx.query.router.>',
  /** Request/reply: a service or node answers `{ name, ready }` on `msx.health.<name>`. */
  health: (name: string) => `msx.health.${name}`,
  /**
   * A post's outbox on its own leaf node: `msx.outbox.<post>`. Local to the post: its leaf stores it in its own
   * JetStream and never passes it to the hub, where no account holds it.
   */
  postOutbox: (post: string) => `msx.outbox.${post}`,
  /**
   * What a post's node app could never send, kept beside its outbox on the leaf with the reason
   * (`msx.outbox.<post>.set-aside`): nothing the post's processes wrote is lost, not even that.
   */
  postSetAside: (post: string) => `msx.outbox.${post}.set-aside`,
} as const;

/**
 * The principal a per-principal subject belongs to: its last token (`msx.submit.<node>`,
 * `msx.audit.<publisher>`). The broker lets only that principal publish there, so it is who sent the message.
 */
export function ownerOf(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}

export const Streams = {
  submit: 'MSX_SUBMIT',
  /** One stream per node, so that a node's JetStream rights can be limited to its own stream. */
  inbox: (node: string) => `MSX_INBOX_${node}`,
  audit: 'MSX_AUDIT',
  deadLetter: 'MSX_DEAD_LETTER',
  /** Audit checkpoints; each witness reads them through its own durable consumer, never another node's inbox. */
  checkpoints: 'MSX_CHECKPOINTS',
  ledger: 'MSX_LEDGER',
  /** A post's outbox, in the JetStream of the post's own leaf node (its domain), never at the hub. */
  postOutbox: 'MSX_POST_OUTBOX',
} as const;

/** Durable consumer names. */
export const Durables = {
  router: 'router',
  audit: 'audit',
  /** A node's own consumer on its inbox stream. */
  inbox: (node: string) => `inbox-${node}`,
  /** A node's consumer on the checkpoint stream, when it keeps the audit checkpoints as a witness. */
  witness: (node: string) => `witness-${node}`,
  /** The post's node app taking envelopes from its leaf's outbox stream into its outbox record. */
  postIntake: 'intake',
} as const;

/** The JetStream domain of a post's leaf node: `msx-post-<post>`, apart from the hub's JetStream. */
export const postDomain = (post: string) => `msx-post-${post}`;

/** NATS headers MSX sets. `Nats-Msg-Id` (deduplication) is set through `msgID`. */
export const Headers = {
  correlationId: 'Msx-Correlation-Id',
  /** Set on an audit message that carries an AuditEventBatch rather than one AuditEvent. */
  auditBatch: 'Msx-Audit-Batch',
  deadLetterCode: 'Msx-Dead-Letter-Code',
  deadLetterReason: 'Msx-Dead-Letter-Reason',
  originSubject: 'Msx-Origin-Subject',
  originStream: 'Msx-Origin-Stream',
  originSequence: 'Msx-Origin-Sequence',
  deliveryCount: 'Msx-Delivery-Count',
} as const;
