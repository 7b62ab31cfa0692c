import { isNodeBoundOfficerId, isOfficerOfNode, MsxError, RULE, type Violation } from '#contracts';

/** Where a request names its officer: the envelope's `author`, or the header of an inbox read. */
export type OfficerField = 'author' | 'x-msx-officer';

/** Fields outside the envelope that the gateway's own violations may name. */
export const GATEWAY_FIELDS: ReadonlySet<string> = new Set<OfficerField>(['x-msx-officer']);

/**
 * A request named an officer who is not an officer of the token's node (another node's officer, an auditor,
 * a service, or an id in any other form). `claimedOfficer` is the id named, only when it has the ASCII form
 * of an officer id and can be recorded as it is; anything else is never repeated.
 */
export class OfficerNotOfNodeError extends MsxError {
  readonly violations: Violation[];
  readonly claimedOfficer: string | undefined;

  /** @param holder the officer signed in with a credential of their own, who alone may be named */
  constructor(field: OfficerField, node: string, claimed: unknown, holder?: string) {
    super(
      'GATEWAY.OFFICER_NOT_OF_NODE',
      holder !== undefined
        ? `${field} must be you (${holder}) or be left out: a personal credential acts for its holder only`
        : `${field} must name an officer of your node: ${node}.<name>, the name of lower-case ASCII letters, ` +
            'digits, ".", "_" or "-" (64 characters at most in all)',
    );
    this.name = 'OfficerNotOfNodeError';
    this.violations = [
      holder !== undefined
        ? { field, rule: RULE.officerNotCredentialHolder, message: `${field} is not the credential's holder` }
        : { field, rule: RULE.officerNotOfNode, message: `${field} is not an officer id of ${node}` },
    ];
    this.claimedOfficer = isNodeBoundOfficerId(claimed) ? claimed : undefined;
  }
}

/**
 * The officer a request names, when that officer belongs to the token's node (`<node>.<name>`, see
 * isOfficerOfNode): what the audit trail records as the person acting.
 * @throws OfficerNotOfNodeError (`GATEWAY.OFFICER_NOT_OF_NODE`, 403) for any other value
 */
export function checkOfficerOfNode(value: unknown, node: string, field: OfficerField): string {
  if (!isOfficerOfNode(value, node)) throw new OfficerNotOfNodeError(field, node, value);
  return value;
}

/**
 * The person acting in a request: for a personal credential its holder, whom the request may name or leave
 * out, but never replace; for a node's system credential the officer the request names (see
 * checkOfficerOfNode). Undefined when a system credential's request names no one.
 * @throws OfficerNotOfNodeError (`GATEWAY.OFFICER_NOT_OF_NODE`, 403) for anyone else
 */
export function actingOfficer(
  named: unknown,
  node: string,
  field: OfficerField,
  holder: string | undefined,
): string | undefined {
  if (holder !== undefined) {
    if (named !== undefined && named !== '' && named !== holder)
      throw new OfficerNotOfNodeError(field, node, named, holder);
    return holder;
  }
  if (named === undefined || named === '') return undefined;
  return checkOfficerOfNode(named, node, field);
}
