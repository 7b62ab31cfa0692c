/**
 * Whose the failure is:
 * - `refused`: what was sent or asked broke a rule, and the error says which (HTTP 4xx at the gateway);
 * - `unavailable`: something MSX depends on is away for now; the same operation may succeed later;
 * - `internal`: MSX failed; never reported to a caller as their own fault.
 */
export type ErrorKind = 'refused' | 'unavailable' | 'internal';

/**
 * Every code an {@link MsxError} may carry, once, with its kind. `MsxError` takes only these, so a new code
 * is added here or does not compile; edges decide what to answer by looking a code up here, never by
 * reading an error's text.
 */
export const ERROR_CODES = {
  /** A message broke the contract (see {@link ContractViolationError}). */
  'CONTRACT.INVALID': 'refused',
  /** A submission came on another node's subject. */
  'POLICY.SENDER_NOT_PUBLISHER': 'refused',
  'CONFIG.INVALID': 'refused',
  'DIRECTORY.INVALID': 'refused',
  'GATEWAY.INVALID_JSON': 'refused',
  'GATEWAY.BAD_REQUEST': 'refused',
  'GATEWAY.UNAUTHENTICATED': 'refused',
  'GATEWAY.FORBIDDEN': 'refused',
  'GATEWAY.SENDER_MISMATCH': 'refused',
  'GATEWAY.OFFICER_NOT_OF_NODE': 'refused',
  'GATEWAY.INVALID_QUERY': 'refused',
  'GATEWAY.NOT_FOUND': 'refused',
  'GATEWAY.BODY_TOO_LARGE': 'refused',
  'GATEWAY.UNSUPPORTED_MEDIA_TYPE': 'refused',
  /** A request body did not arrive whole in time: answered 408 and the connection closed. */
  'GATEWAY.REQUEST_TIMEOUT': 'refused',
  /** Too many refused requests from one address or for one credential: answered 429 with Retry-After. */
  'GATEWAY.RATE_LIMITED': 'refused',
  'AUDIT.QUERY_INVALID': 'refused',
  /** A query about items that names no party of the exchange, or no message. */
  'ROUTER.QUERY_INVALID': 'refused',
  'AUDIT.JUSTIFICATION_REQUIRED': 'refused',
  /** An audit event whose actor is not the node that published it. */
  'AUDIT.FORGED_ACTOR': 'refused',
  'AUDIT.EVENT_ID_MISSING': 'refused',
  'AUDIT.CHECKPOINT_INVALID': 'refused',
  'AUDIT.CHECKPOINT_UNTRUSTED_KEY': 'refused',
  'AUDIT.RETENTION_NO_JUSTIFICATION': 'refused',
  'AUDIT.RETENTION_NOT_MONTH_BOUNDARY': 'refused',
  'AUDIT.RETENTION_CURRENT_MONTH': 'refused',
  'AUDIT.RETENTION_NOT_PREFIX': 'refused',
  'AUDIT.RETENTION_CHAIN_INVALID': 'refused',
  /** A node kept an item out of one of its uses, which none of the item's purposes covers. */
  'NODE.PURPOSE_NOT_COVERED': 'refused',
  /** A delivered copy without the router's signature, with a bad one, or signed by a key not pinned. */
  'DELIVERY.UNSIGNED': 'refused',
  'DELIVERY.BAD_SIGNATURE': 'refused',
  'DELIVERY.UNKNOWN_KEY': 'refused',
  'AUDIT.UNAVAILABLE': 'unavailable',
  'AUDIT.STORE_UNAVAILABLE': 'unavailable',
  'BUS.UNAVAILABLE': 'unavailable',
  /** The gateway's credentials database is away: a token not checked recently cannot be checked now. */
  'GATEWAY.CREDENTIALS_UNAVAILABLE': 'unavailable',
  'BUS.PUBLISH_FAILED': 'unavailable',
  'ROUTER.LEDGER_UNAVAILABLE': 'unavailable',
  /** The router did not answer a query about items (a preview, where a party's copy is) in time. */
  'ROUTER.UNAVAILABLE': 'unavailable',
  /** A node's holdings database is away: the copy or recall waits in the inbox, never given up on. */
  'NODE.HOLDINGS_UNAVAILABLE': 'unavailable',
  /** Another router holds the item a submission concerns for longer than the wait allowed. */
  'ROUTER.ITEM_BUSY': 'unavailable',
  /** The item changed in the ledger between reading it and storing it (another router wrote it). */
  'ROUTER.LEDGER_CONFLICT': 'unavailable',
  /** A service's durable consumer was never provisioned: its deployment is incomplete. */
  'BUS.CONSUMER_MISSING': 'internal',
  'AUDIT.PUBLISHER_MISSING': 'internal',
  'AUDIT.STORE_REJECTED': 'internal',
  /** A recall of an item a node holds nothing of and has no account of erasing: it confirms no erasure. */
  'NODE.NOT_HELD': 'internal',
  'NODE.HOLDINGS_REJECTED': 'internal',
  'INTERNAL.UNEXPECTED': 'internal',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether a text (a code that crossed a process boundary, say) is a code of the catalogue. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/**
 * The one error family of MSX. Every error carries a stable string code (`CONTRACT.INVALID`,
 * `POLICY.SENDER_NOT_PUBLISHER`, `AUDIT.UNAVAILABLE`) that survives a hop between processes; edges map codes
 * to HTTP status or to ack/nak/term, nothing else looks at classes.
 */
export class MsxError extends Error {
  /** True when the same operation may succeed later (connection lost, backlog): nak and retry, HTTP 503. */
  readonly retryable: boolean;
  /**
   * True when the service holds work back for a reason of its own (the audit trail cannot record): the
   * message is not at fault, so it is retried without limit instead of ending as a dead letter.
   */
  readonly hold: boolean;

  constructor(
    /** Stable code, `AREA.REASON`, from {@link ERROR_CODES}. */
    readonly code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean; hold?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'MsxError';
    this.hold = options.hold ?? false;
    this.retryable = this.hold || (options.retryable ?? false);
  }
}

/** One broken rule: which field (a dotted path in the message's JSON form), which rule, and why. */
export interface Violation {
  /** Path of the offending field, for example `suspectVesselReport.imoNumber` or `routeReport.segments[0].fromCountry`; empty for the whole message. */
  field: string;
  /** Name of the rule, for example `imoCheckDigit`, `h3RequiresRestriction`. */
  rule: string;
  /** A sentence a person can act on. */
  message: string;
}

/** A message broke the contract: nothing of it was published. */
export class ContractViolationError extends MsxError {
  constructor(readonly violations: Violation[]) {
    super(
      'CONTRACT.INVALID',
      `message breaks ${violations.length} rule(s): ${violations.map((v) => `${v.field || '(message)'}: ${v.rule}`).join('; ')}`,
    );
    this.name = 'ContractViolationError';
  }
}
