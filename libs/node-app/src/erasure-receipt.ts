import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  EnvelopeSchema,
  ErasureReceiptSchema,
  nameBasedId,
  ReleasabilityScope,
  ReleasabilitySchema,
  ROUTER_NODE,
  type Envelope,
} from '#contracts';
import type { ErasureAccount } from './holdings/holdings-store.js';

/**
 * A node's statement that it erased a recalled item, addressed to the originator (the sender of the copy it
 * erased, or the recall's sender), and what it erased: made only from the node's account of an erasure it
 * performed ({@link ErasureAccount}), never for an item it holds nothing of. Its id is derived from the
 * recall with the node's own secret `idKey` (see `Bus.idKey`): a redelivered recall confirms once, and no
 * other recipient of the recall can compute the id and take it first (an id belongs to whoever uses it
 * first, POLICY.ID_ALREADY_USED).
 */
export function erasureReceiptFor(
  node: string,
  recallEnvelope: Envelope,
  account: ErasureAccount,
  nowMs: number,
  idKey: string,
): Envelope {
  const originator =
    account.originator ?? (recallEnvelope.sender === ROUTER_NODE ? undefined : recallEnvelope.sender);
  return create(EnvelopeSchema, {
    id: nameBasedId(idKey, node, recallEnvelope.id, 'erasure-receipt'),
    threadId: account.messageId,
    inReplyTo: recallEnvelope.id,
    sender: node,
    author: `${node}.inbox`,
    createdAt: timestampFromMs(nowMs),
    recipients: originator && originator !== node ? [originator] : [],
    handlingCode: recallEnvelope.handlingCode,
    handlingRestriction: recallEnvelope.handlingRestriction,
    tlp: recallEnvelope.tlp,
    releasability: create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }),
    payload: {
      case: 'erasureReceipt',
      value: create(ErasureReceiptSchema, {
        messageId: account.messageId,
        recallId: recallEnvelope.id,
        erasedAt: timestampFromMs(account.erasedAt.getTime()),
        erased: receiptList(account.erased),
      }),
    },
  });
}

/** Entries an erasure receipt lists at most (the contract's limit). */
export const MAX_ERASED_ENTRIES = 500;

/**
 * What a receipt lists of an erasure: every entry, or when there are more than the contract allows, as many
 * as fit and then `more:<how many more>`, so the receipt still passes and still says how much was erased.
 */
export function receiptList(erased: readonly string[]): string[] {
  if (erased.length <= MAX_ERASED_ENTRIES) return [...erased];
  const shown = erased.slice(0, MAX_ERASED_ENTRIES - 1);
  return [...shown, `more:${erased.length - shown.length}`];
}
