import type { SuspectVesselReport } from '#contracts';

/** How the list identifies a vessel: IMO number, else MMSI, else the normalised name. */
export function vesselKey(report: SuspectVesselReport): string {
  if (report.imoNumber) return `imo:${report.imoNumber}`;
  if (report.mmsi) return `mmsi:${report.mmsi}`;
  return `name:${report.name.trim().toUpperCase()}`;
}

/** One vessel on the monitored list and the parties that reported it. */
export interface ListedVessel {
  key: string;
  name: string;
  reporters: Set<string>;
  reports: Set<string>;
}

/**
 * JOT MARE's list of suspect vessels: every report about the same vessel is combined into one entry, so
 * that a vessel reported by several parties stands out. Adding the same report twice changes nothing.
 */
export class SuspectVesselList {
  private readonly vessels = new Map<string, ListedVessel>();

  /** Records a report; returns the vessel's entry after it. */
  add(reportId: string, reporter: string, report: SuspectVesselReport): ListedVessel {
    const key = vesselKey(report);
    const entry = this.vessels.get(key) ?? {
      key,
      name: report.name,
      reporters: new Set(),
      reports: new Set(),
    };
    entry.reporters.add(reporter);
    entry.reports.add(reportId);
    if (report.name) entry.name = report.name;
    this.vessels.set(key, entry);
    return entry;
  }

  get(key: string): ListedVessel | undefined {
    return this.vessels.get(key);
  }

  size(): number {
    return this.vessels.size;
  }
}
