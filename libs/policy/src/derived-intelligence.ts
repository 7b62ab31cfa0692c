import { concernedMessageId, HandlingCode, Tlp, type Envelope } from '#contracts';
import { isForward, type ItemRecord, type PolicyFacts } from './facts.js';
import { selectorsOf } from './selectors.js';

/**
 * How many selectors a new item must share with restricted intelligence to count as derived from it: at
 * least 2, or the original's only selector when it has exactly one. A single selector in common with an
 * original that has several (a widely known phone number, a platform's URL) is not enough.
 */
export const MIN_SHARED_SELECTORS = 2;

/** Handling that makes an item the originator's to release: H2/H3, or TLP that limits its audience. */
export function needsOriginatorConsent(handlingCode: HandlingCode, tlp: Tlp): boolean {
  return (
    handlingCode === HandlingCode.H2 ||
    handlingCode === HandlingCode.H3 ||
    tlp === Tlp.AMBER ||
    tlp === Tlp.AMBER_STRICT ||
    tlp === Tlp.RED
  );
}

/** How many of the original's selectors the given selector set carries. */
export function sharedSelectorCount(selectors: readonly string[], original: ItemRecord): number {
  const ours = new Set(selectors);
  return (original.selectors ?? []).filter((s) => ours.has(s)).length;
}

/** Whether a selector set carries enough of the original's selectors to be derived from it (see {@link MIN_SHARED_SELECTORS}). */
export function carriesSelectorsOf(selectors: readonly string[], original: ItemRecord): boolean {
  const theirs = original.selectors?.length ?? 0;
  const shared = sharedSelectorCount(selectors, original);
  return shared > 0 && shared >= Math.min(MIN_SHARED_SELECTORS, theirs);
}

/** A restricted item that a new item re-publishes, and how it was recognised. */
export interface DerivedFrom {
  original: ItemRecord;
  /** `payload`: the same bytes; `selectors`: enough of its selectors, whatever the wording. */
  by: 'payload' | 'selectors';
  /** For `selectors`: how many of the original's selectors the new item carries. */
  shared?: number;
}

/** The selectors of an original that are its own as far as `sender` is concerned: not those it took from `sender`. */
function selectorsTheirsFor(original: ItemRecord, sender: string): ItemRecord {
  const borrowed = original.borrowedSelectors?.[sender];
  if (!borrowed?.length) return original;
  const mine = new Set(borrowed);
  return { ...original, selectors: (original.selectors ?? []).filter((s) => !mine.has(s)) };
}

/**
 * The restricted intelligence of other parties that a new item (not a control message, not a forwarded copy)
 * re-publishes, so that it is onward sharing and needs those originators' consent:
 * - the same payload bytes as another party's item that needs consent (whoever sends it);
 * - or the selectors of such an item that the sender received (see {@link carriesSelectorsOf}), leaving out
 *   those the item took from the sender (`borrowedSelectors`). Never an item of the sender's own, never one
 *   the sender did not receive.
 */
export function derivedFrom(envelope: Envelope, facts: PolicyFacts): DerivedFrom[] {
  if (isForward(envelope) || concernedMessageId(envelope) !== undefined) return [];
  const restricted = (i: ItemRecord) =>
    i.originator !== envelope.sender && needsOriginatorConsent(i.handlingCode, i.tlp);
  const out: DerivedFrom[] = [];
  const prior = facts.samePayload;
  if (prior && restricted(prior)) out.push({ original: prior, by: 'payload' });
  if (facts.selectorItems?.length) {
    const selectors = facts.selectors ?? selectorsOf(envelope);
    for (const original of facts.selectorItems) {
      if (original.messageId === prior?.messageId || !restricted(original)) continue;
      if (!original.recipients.includes(envelope.sender)) continue;
      const theirs = selectorsTheirsFor(original, envelope.sender);
      if (carriesSelectorsOf(selectors, theirs)) {
        out.push({ original, by: 'selectors', shared: sharedSelectorCount(selectors, theirs) });
      }
    }
  }
  return out;
}

/**
 * What a new item with these selectors takes from the items it is derived from by their selectors, per
 * originator, with what those items had taken in their turn: its {@link ItemRecord.borrowedSelectors}.
 * Undefined when it takes nothing.
 */
export function borrowedSelectorsOf(
  selectors: readonly string[],
  derived: readonly DerivedFrom[],
): Record<string, string[]> | undefined {
  const ours = new Set(selectors);
  const out = new Map<string, Set<string>>();
  const take = (originator: string, theirs: readonly string[] | undefined) => {
    const taken = (theirs ?? []).filter((s) => ours.has(s));
    if (taken.length === 0) return;
    const set = out.get(originator) ?? new Set<string>();
    for (const s of taken) set.add(s);
    out.set(originator, set);
  };
  for (const { original, by } of derived) {
    if (by !== 'selectors') continue;
    take(original.originator, original.selectors);
    for (const [originator, theirs] of Object.entries(original.borrowedSelectors ?? {}))
      take(originator, theirs);
  }
  if (out.size === 0) return undefined;
  return Object.fromEntries(
    [...out].sort(([a], [b]) => a.localeCompare(b)).map(([o, set]) => [o, [...set].sort()]),
  );
}
