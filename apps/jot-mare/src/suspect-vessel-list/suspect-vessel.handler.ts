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

  /** A recalled report leaves the list; its reporter stays listed only through other reports. */
  erase(messageId: string): Promise<string[]> {
    return Promise.resolve(this.list.removeReport(messageId).map((key) => `suspect-vessel-list:${key}`));
  }

  handle({ envelope }: InboxItem): Promise<NodeOperation[]> {
    if (envelope.payload.case !== 'suspectVesselReport') return Promise.resolve([]);
    const entry = this.list.add(envelope.id, envelope.sender, envelope.payload.value);
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
