/**
 * The one error family of MSX. Every error carries a stable string code (`CONTRACT.INVALID`,
 * `POLICY.TLP_RED_NAMED_ONLY`, `AUDIT.UNAVAILABLE`) that survives a hop between processes; edges map codes
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
    /** Stable code, `AREA.REASON`. */
    readonly code: string,
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
