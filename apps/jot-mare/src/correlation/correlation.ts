import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  EnvelopeSchema,
  HitNoticeSchema,
  INTEL_TYPES,
  nameBasedId,
  ReleasabilityScope,
  ReleasabilitySchema,
  SelectorSchema,
  type Envelope,
  type HandlingCode,
  type Tlp,
} from '#contracts';
import { isThirdCountryParty, type Directory } from '#directory';
import { BLIND_KINDS, sharingRefusal, type SharingRefusal } from '#node-app';
import {
  MAX_SELECTORS_PER_ITEM,
  needsOriginatorConsent,
  normalisedSelectorsOf,
  selectorDigest,
  type SelectorKindName,
} from '#policy';

/** Kinds that point at a person (a subscriber, an account holder, a document holder). */
const PERSONAL_KINDS: ReadonlySet<SelectorKindName> = new Set(['phone', 'iban', 'document']);

/** One selector of a report: its kind, its normalised value (in clear, never stored) and its digest. */
export interface ReportSelector {
  kind: Exclude<SelectorKindName, 'vessel'>;
  value: string;
  digest: string;
}

/**
 * The selectors JOT MARE correlates a report by: those of intelligence (not of products, control messages or
 * forwarded copies), found in its typed fields and its free text, in the exchange's one spelling, at most
 * MAX_SELECTORS_PER_ITEM of them (the same subset the router indexes): a narrative that lists thousands of
 * numbers neither floods the index nor turns JOT MARE into a way to ask who holds each.
 */
export function correlatedSelectors(envelope: Envelope): ReportSelector[] {
  const type = envelope.payload.case;
  if (!type || !INTEL_TYPES.includes(type)) return [];
  const all = normalisedSelectorsOf(envelope)
    .filter((s): s is { kind: ReportSelector['kind']; value: string } => s.kind !== 'vessel')
    .map((s) => ({ ...s, digest: selectorDigest(s) }));
  const kept = new Set(
    all
      .map((s) => s.digest)
      .sort()
      .slice(0, MAX_SELECTORS_PER_ITEM),
  );
  return all.filter((s) => kept.has(s.digest));
}

/** The rule under which a party is not told of a restricted report it does not hold. */
export const LINK_NEEDS_CONSENT = 'CORRELATION.ORIGINATOR_CONTROL';

/** Why a party may not learn of a report: the rule and the reason. */
export type NotTold = SharingRefusal;

/**
 * Whether JOT MARE may tell `node` that `report` exists and who holds it. Telling is a disclosure, so it
 * follows the sharing rules as if the report went to `node` directly (clearance, statistics only, third-country
 * agreements, TLP RED for named recipients); and since JOT MARE is not the originator, a report that needs its
 * originator's consent for onward sharing (H2, H3, TLP AMBER, AMBER+STRICT, RED) is told of only to the parties
 * that hold it already: its originator and the recipients it names.
 * @returns null when the party may learn of it, else the rule and the reason
 */
export function mayLearnOf(
  node: string,
  report: Envelope,
  directory: Directory,
  nowMs: number,
): NotTold | null {
  if (node === report.sender) return null;
  const named = report.recipients.includes(node);
  const refused = sharingRefusal(report, node, directory, nowMs, named);
  if (refused) return refused;
  if (!named && needsOriginatorConsent(report.handlingCode, report.tlp))
    return {
      rule: LINK_NEEDS_CONSENT,
      reason: `${report.id} needs the consent of ${report.sender} to be shared onward, and ${node} does not hold it`,
    };
  return null;
}

/** What JOT MARE's link notices are for, as each one states it. */
export const LINK_PURPOSE =
  'Correlation of selectors across reports by JOT MARE: the parties holding linked reports may contact each other';

/** A report linked to the recipient's own, with the party that holds it. */
export interface LinkedReport {
  messageId: string;
  holder: string;
  handlingCode: HandlingCode;
  tlp: Tlp;
}

/**
 * The hit notice telling the originator of `own` that reports of other parties carry one of its selectors:
 * the selector (from the recipient's own report), the linked reports and their holders, never their content.
 * It is marked like the strictest of the reports it links, and released to a third country only when the
 * recipient is one (the router still applies every rule to it). The id depends on the recipient's report, the
 * selector and the linked reports only, so the same link told again is the same message.
 */
export function linkNoticeFor(opts: {
  node: string;
  idKey: string;
  directory: Directory;
  own: Envelope;
  selector: ReportSelector;
  linked: readonly LinkedReport[];
  nowMs: number;
}): Envelope {
  const { node, own, selector, linked } = opts;
  const recipient = own.sender;
  const party = opts.directory.party(recipient);
  const handlingCode = Math.max(own.handlingCode, ...linked.map((l) => l.handlingCode)) as HandlingCode;
  const tlp = Math.max(own.tlp, ...linked.map((l) => l.tlp)) as Tlp;
  const ids = linked.map((l) => l.messageId);
  const personal = PERSONAL_KINDS.has(selector.kind);
  return create(EnvelopeSchema, {
    id: nameBasedId(opts.idKey, node, own.id, 'link', selector.digest, ...ids),
    threadId: own.threadId || own.id,
    inReplyTo: own.id,
    sender: node,
    author: `${node}.correlation`,
    createdAt: timestampFromMs(opts.nowMs),
    recipients: [recipient],
    route: own.route,
    handlingCode,
    tlp,
    releasability:
      party && isThirdCountryParty(party)
        ? create(ReleasabilitySchema, {
            scope: ReleasabilityScope.THIRD_COUNTRIES,
            thirdCountries: [party.country],
          })
        : create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }),
    containsPersonalData: personal,
    purpose: LINK_PURPOSE,
    payload: {
      case: 'hitNotice',
      value: create(HitNoticeSchema, {
        requestId: own.id,
        selector: create(SelectorSchema, {
          kind: BLIND_KINDS[selector.kind],
          // The exchange compares URLs without their scheme; the contract takes an http(s) URL.
          value: selector.kind === 'url' ? `https://${selector.value}` : selector.value,
        }),
        matchingMessageIds: ids,
        holders: linked.map((l) => l.holder),
      }),
    },
  });
}
