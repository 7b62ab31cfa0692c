import type { SuspectVesselReport } from '#contracts';

/** How the list identifies a vessel: IMO number, else MMSI, else the normalised name. */
export function vesselKey(report: SuspectVesselReport): string {
  if (report.imoNumber) return `imo:${report.imoNumber}`;
  if (report.mmsi) return `mmsi:${report.mmsi}`;
  return `name:${report.name.trim().toUpperCase()}`;
}

/** One vessel on the monitored list and the reports about it. */
export interface ListedVessel {
  key: string;
  name: string;
  /** Report id → the party that reported it. */
  reports: Map<string, string>;
}

/** The parties that reported a vessel, sorted. */
export function reportersOf(entry: ListedVessel): string[] {
  return [...new Set(entry.reports.values())].sort();
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
    const entry = this.vessels.get(key) ?? { key, name: report.name, reports: new Map<string, string>() };
    entry.reports.set(reportId, reporter);
    if (report.name) entry.name = report.name;
    this.vessels.set(key, entry);
    return entry;
  }

  /**
   * Forgets a recalled report; a vessel no report speaks of any more leaves the list.
   * @returns the keys of the vessels whose entries the report was part of
   */
  removeReport(reportId: string): string[] {
    const touched: string[] = [];
    for (const [key, entry] of this.vessels) {
      if (!entry.reports.delete(reportId)) continue;
      touched.push(key);
      if (entry.reports.size === 0) this.vessels.delete(key);
    }
    return touched;
  }

  /** The keys of the vessels whose entries a report is part of. */
  vesselsOf(reportId: string): string[] {
    return [...this.vessels].filter(([, entry]) => entry.reports.has(reportId)).map(([key]) => key);
  }

  get(key: string): ListedVessel | undefined {
    return this.vessels.get(key);
  }

  size(): number {
    return this.vessels.size;
  }
}
