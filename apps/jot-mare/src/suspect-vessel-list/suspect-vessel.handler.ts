import { Injectable, Logger } from '@nestjs/common';
import { AuditOperation } from '#contracts';
import type { InboxHandler, InboxItem, NodeOperation } from '#node-app';
import { reportersOf, SuspectVesselList } from './suspect-vessel-list.js';

/**
 * JOT MARE correlates what it receives: suspect-vessel reports are combined into the monitored list; a
 * vessel reported by more than one party is a combination of data, audited as such.
 */
@Injectable()
export class SuspectVesselHandler implements InboxHandler {
  private readonly logger = new Logger('SuspectVesselList');
  readonly list = new SuspectVesselList();

  /** The list entries a report is part of, by the item it is a copy of (a forwarded report included). */
  beginErasure(itemId: string): Promise<string[]> {
    return Promise.resolve(this.list.vesselsOf(itemId).map((key) => `suspect-vessel-list:${key}`));
  }

  /** A recalled report leaves the list; its reporter stays listed only through other reports. */
  erase(itemId: string): Promise<void> {
    this.list.removeReport(itemId);
    return Promise.resolve();
  }

  handle({ envelope, itemId }: InboxItem): Promise<NodeOperation[]> {
    if (envelope.payload.case !== 'suspectVesselReport') return Promise.resolve([]);
    // Listed under the item it is a copy of, so that the item's recall finds a forwarded report too.
    const entry = this.list.add(itemId, envelope.sender, envelope.payload.value);
    const reporters = reportersOf(entry);
    this.logger.log(`vessel ${entry.key} (${entry.name}) reported by ${reporters.join(', ')}`);
    if (reporters.length < 2) return Promise.resolve([]);
    return Promise.resolve([
      {
        operation: AuditOperation.COMBINED,
        key: `combine:${entry.key}:${reporters.join(',')}`,
        detail: { vessel: entry.key, reporters, reports: entry.reports.size },
      },
    ]);
  }
}
