import type { Envelope, ItemView, PreviewAnswer } from '#contracts';
import { decideSubmission, type PolicyFacts, type ShareRequestRecord } from '#policy';
import type { Directory } from '#directory';
import type { LedgerItem } from '../ledger/ledger.js';

/**
 * Where a party stands towards an item, from the ledger: its originator sees it with everyone who holds a
 * copy; a party it was delivered or forwarded to sees it with where its copy is; anyone else is told nothing,
 * exactly as for an item that does not exist.
 */
export function itemViewOf(
  item: LedgerItem | undefined,
  node: string,
  request?: ShareRequestRecord,
): ItemView {
  if (!item) return { found: false };
  const common = {
    found: true as const,
    messageId: item.messageId,
    type: item.type,
    originator: item.originator,
    recalled: item.recalled === true,
    handlingCode: item.handlingCode,
    tlp: item.tlp,
  };
  if (item.originator === node) {
    // Only a request about this very item: the originator of one item learns nothing of another's requests.
    const about = request?.messageId === item.messageId ? request : undefined;
    return {
      ...common,
      role: 'originator',
      recipients: [...item.recipients],
      ...(about
        ? {
            request: {
              requestId: about.requestId,
              requester: about.requester,
              proposedRecipients: [...about.proposedRecipients],
            },
          }
        : {}),
    };
  }
  if (!item.recipients.includes(node)) return { found: false };
  // A recalled item's copies are removed (or being removed): there is nothing left to read.
  const copySeq = item.recalled ? undefined : item.copies?.[node];
  return { ...common, role: 'recipient', ...(copySeq !== undefined ? { copySeq } : {}) };
}

/**
 * Who would receive `envelope` if its sender submitted it now: the router's own decision (submission rules,
 * then every sharing rule for every candidate) from the facts the ledger holds now, with nothing claimed,
 * published or remembered. A preview is not a promise: a submission is decided when it is routed, against
 * the ledger as it then stands.
 * @param facts as routing would look them up; `submitSeq` is none a submission ever has, so an envelope id
 *   already claimed shows as refused under `POLICY.ID_ALREADY_USED`, as a new submission under it would be
 */
export function previewOf(envelope: Envelope, directory: Directory, facts: PolicyFacts): PreviewAnswer {
  const { decisions, refusal } = decideSubmission(envelope, directory, facts);
  return {
    id: envelope.id,
    recipients: decisions.map((d) => ({
      party: d.recipient,
      outcome: d.outcome,
      rule: d.rule,
      reason: d.reason,
    })),
    refusal: refusal ? { rule: refusal.rule, reason: refusal.reason } : null,
  };
}
