import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AuditOperation,
  decodeEnvelope,
  encodeEnvelope,
  Purpose,
  type Envelope,
  type UseOfItems,
} from '#contracts';
import type { Directory } from '#directory';
import { Headers, publishDurably, Subjects, type Bus } from '#messaging';
import {
  HOLDINGS,
  NODE_ID,
  purposeWithheld,
  sharingRefusal,
  type HoldingsStore,
  type InboxItem,
  type NodeOperation,
} from '#node-app';
import { BUS } from '#runtime';
import { DIRECTORY } from '../vessel-watch-list/vessel-watch.handler.js';
import {
  correlatedSelectors,
  linkNoticeFor,
  mayLearnOf,
  type NotTold,
  type ReportSelector,
} from './correlation.js';
import type { SelectorIndexStore } from './selector-index.store.js';

export const SELECTOR_INDEX = Symbol('MSX_SELECTOR_INDEX');

/** The entry of the erasure account for the selector index rows of an item (one per selector kind). */
export const SELECTOR_INDEX_ENTRY = 'selector-index';

/**
 * What correlation is for: linking the reports of an investigation into a smuggling network. A report that
 * does not serve criminal investigation is neither indexed nor linked.
 */
export const CORRELATION_USE: UseOfItems = {
  name: SELECTOR_INDEX_ENTRY,
  serves: [Purpose.CRIMINAL_INVESTIGATION],
};

/** A report of another party that shares selectors with the one just received. */
interface Link {
  report: Envelope;
  /** The shared selectors, in clear from the report just received (the same normalised values). */
  selectors: ReportSelector[];
}

/**
 * JOT MARE's correlation of selectors across reports (IMO, MMSI, phone number, IBAN, URL, document number).
 * Each report it receives is indexed by the digests of its selectors; when a report of another party carries
 * one of them, JOT MARE tells both originators with a hit notice: "your selector in your report also appears
 * in report Y, held by party P". Each learns only of reports it may see under the sharing rules
 * (`mayLearnOf`); a link not told is audited as withheld with the rule, and every link found as a combination.
 * Each link is told once per party, whatever redeliveries and restarts.
 */
@Injectable()
export class SelectorCorrelator {
  private readonly logger = new Logger('Correlation');

  constructor(
    @Inject(NODE_ID) private readonly node: string,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(HOLDINGS) private readonly holdings: HoldingsStore,
    @Inject(SELECTOR_INDEX) private readonly index: SelectorIndexStore,
    @Inject(DIRECTORY) private readonly directory: Directory,
  ) {}

  async handle({ envelope, itemId, correlationId }: InboxItem): Promise<NodeOperation[]> {
    const selectors = correlatedSelectors(envelope);
    if (selectors.length === 0 || envelope.sender === this.node) return [];
    const outOfPurpose = purposeWithheld(envelope, CORRELATION_USE);
    if (outOfPurpose) return [outOfPurpose];
    await this.index.record(itemId, envelope.sender, selectors);
    const links = await this.linksOf(envelope, itemId, selectors);
    if (links.length === 0) return [];
    const now = Date.now();
    const headers = correlationId ? { [Headers.correlationId]: correlationId } : undefined;
    const operations: NodeOperation[] = [];

    // The sender of the new report: one notice per selector, naming the linked reports it may learn of.
    const toSender = new Map<string, { selector: ReportSelector; linked: Envelope[] }>();
    const notToldSender = new Map<string, NotTold>();
    for (const { report, selectors: shared } of links) {
      const refused = mayLearnOf(envelope.sender, report, this.directory, now);
      if (refused) {
        notToldSender.set(report.id, refused);
        continue;
      }
      for (const s of shared) {
        const entry = toSender.get(s.digest) ?? { selector: s, linked: [] };
        entry.linked.push(report);
        toSender.set(s.digest, entry);
      }
    }
    const told = new Map<string, Set<string>>();
    const remember = (party: string, reportId: string) =>
      told.set(reportId, (told.get(reportId) ?? new Set()).add(party));
    for (const { selector, linked } of toSender.values()) {
      const result = await this.tell(envelope, selector, linked, now, headers);
      if ('refused' in result) {
        for (const r of linked) if (!notToldSender.has(r.id)) notToldSender.set(r.id, result.refused);
      } else {
        for (const id of result.told) remember(envelope.sender, id);
      }
    }

    // The originator of each linked report: told of the new one on its own report, if it may learn of it.
    const refusedToHolder = mayLearnOfNew(envelope, links, this.directory, now);
    const noticeRefused = new Map<string, NotTold>();
    for (const { report, selectors: shared } of links) {
      if (refusedToHolder.get(report.sender)) continue;
      for (const s of shared) {
        const result = await this.tell(report, s, [envelope], now, headers);
        if ('refused' in result) noticeRefused.set(report.id, result.refused);
        else if (result.told.length > 0) remember(report.sender, report.id);
      }
    }

    for (const { report, selectors: shared } of links) {
      const toHolder = refusedToHolder.get(report.sender) ?? noticeRefused.get(report.id);
      operations.push({
        operation: AuditOperation.COMBINED,
        key: `link:${report.id}`,
        detail: {
          linked: report.id,
          holder: report.sender,
          selectorKinds: [...new Set(shared.map((s) => s.kind))].sort(),
          told: [...(told.get(report.id) ?? [])].sort(),
        },
      });
      const toSender = notToldSender.get(report.id);
      if (toSender)
        operations.push(this.withheld(envelope.sender, report.id, toSender, `learn of ${report.id}`));
      if (toHolder)
        operations.push(
          this.withheld(
            report.sender,
            report.id,
            toHolder,
            `learn of ${envelope.id} (linked to ${report.id})`,
          ),
        );
    }
    this.logger.log(
      `${envelope.id} of ${envelope.sender} shares selectors with ${links.length} report(s) of ${[
        ...new Set(links.map((l) => l.report.sender)),
      ].join(', ')}`,
    );
    return operations;
  }

  /** The reports of other parties JOT MARE holds that share selectors with this one, with those selectors. */
  private async linksOf(envelope: Envelope, itemId: string, selectors: ReportSelector[]): Promise<Link[]> {
    const byDigest = new Map(selectors.map((s) => [s.digest, s]));
    const shared = new Map<string, ReportSelector[]>();
    for (const s of await this.index.sightings([...byDigest.keys()], itemId)) {
      if (s.originator === envelope.sender) continue;
      shared.set(s.itemId, [...(shared.get(s.itemId) ?? []), byDigest.get(s.digest)!]);
    }
    const links: Link[] = [];
    for (const [id, sel] of shared) {
      const held = await this.holdings.get(id);
      // A report recalled in the meantime is no longer held: it links to nothing.
      if (held) links.push({ report: decodeEnvelope(held.bytes), selectors: sel });
    }
    return links;
  }

  /**
   * Sends `own`'s originator a notice of the linked reports it has not been told of for this selector, unless
   * the sharing rules would keep the notice itself from it (a phone number to a third country without a legal
   * basis for personal data, for example).
   * @returns the linked reports it has been told of for this selector (before or now), or why it may not be
   */
  private async tell(
    own: Envelope,
    selector: ReportSelector,
    linked: readonly Envelope[],
    nowMs: number,
    headers: Record<string, string> | undefined,
  ): Promise<{ told: string[] } | { refused: NotTold }> {
    const byId = new Map(linked.map((r) => [r.id, r]));
    const noticeOf = (ids: readonly string[]) =>
      linkNoticeFor({
        node: this.node,
        idKey: this.bus.idKey,
        directory: this.directory,
        own,
        selector,
        linked: ids.map((id) => {
          const r = byId.get(id)!;
          return { messageId: r.id, holder: r.sender, handlingCode: r.handlingCode, tlp: r.tlp };
        }),
        nowMs,
      });
    // Whether the notice may reach its recipient depends on its marking, which the linked reports set.
    const refused = sharingRefusal(noticeOf([...byId.keys()]), own.sender, this.directory, nowMs, true);
    if (refused) return { refused };
    const told = await this.index.tellOnce(
      { party: own.sender, ownItem: own.id, digest: selector.digest, linked: [...byId.keys()] },
      async (fresh) => {
        const notice = noticeOf(fresh);
        await publishDurably(this.bus.js, Subjects.submit(this.node), encodeEnvelope(notice), {
          msgID: notice.id,
          headers,
        });
        this.logger.log(`told ${own.sender} of ${fresh.length} report(s) linked to ${own.id}`);
        return notice.id;
      },
    );
    return { told };
  }

  private withheld(party: string, linked: string, why: NotTold, what: string): NodeOperation {
    return {
      operation: AuditOperation.WITHHELD,
      key: `link-withheld:${party}:${linked}`,
      counterpart: party,
      rule: why.rule,
      detail: { linked, reason: `${party} may not ${what}: ${why.reason}` },
    };
  }

  /** The selector kinds the item is indexed by, as entries of its erasure account. */
  async beginErasure(itemId: string): Promise<string[]> {
    return (await this.index.kindsOf(itemId)).map((kind) => `${SELECTOR_INDEX_ENTRY}:${kind}`);
  }

  /** Takes the item out of the index, with the links told of it. */
  erase(itemId: string): Promise<void> {
    return this.index.removeItem(itemId);
  }
}

/** For each originator of a linked report, why it may not learn of the new report (absent when it may). */
function mayLearnOfNew(
  envelope: Envelope,
  links: readonly Link[],
  directory: Directory,
  nowMs: number,
): Map<string, NotTold | null> {
  const verdicts = new Map<string, NotTold | null>();
  for (const { report } of links)
    if (!verdicts.has(report.sender))
      verdicts.set(report.sender, mayLearnOf(report.sender, envelope, directory, nowMs));
  return verdicts;
}
