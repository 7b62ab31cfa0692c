import {
  AuditOperation,
  purposeLabel,
  purposeRefusal,
  purposesOf,
  type Envelope,
  type ErrorCode,
  type UseOfItems,
} from '#contracts';
import type { NodeOperation } from './inbox-worker.js';

/** The rule of a node that keeps an item out of a use none of its purposes covers. */
export const PURPOSE_NOT_COVERED: ErrorCode = 'NODE.PURPOSE_NOT_COVERED';

/**
 * Purpose limitation at the node: the audited operation that keeps `envelope` out of `use` when none of
 * its purposes covers it (`withheld`, rule NODE.PURPOSE_NOT_COVERED, naming the use, what it serves and what
 * the item serves), or null when the node may put the item to the use. The node keeps its copy either way:
 * the router delivered it lawfully, and a recall or expiry still finds it.
 */
export function purposeWithheld(
  envelope: Envelope,
  use: UseOfItems,
  counterpart?: string,
): NodeOperation | null {
  const statement = purposeRefusal(envelope, use);
  if (statement === null) return null;
  return {
    operation: AuditOperation.WITHHELD,
    key: `purpose:${use.name}`,
    ...(counterpart ? { counterpart } : {}),
    rule: PURPOSE_NOT_COVERED,
    detail: {
      use: use.name,
      serves: use.serves.map(purposeLabel),
      purposes: purposesOf(envelope).map(purposeLabel),
      statement,
    },
  };
}
