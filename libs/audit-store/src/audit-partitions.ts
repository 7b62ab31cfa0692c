/**
 * Time partitions of the audit trail: one range partition per calendar month (UTC) of `recorded_at`.
 * `recorded_at` is set by the single chain writer and never goes backwards along `seq`, so a partition holds
 * a contiguous stretch of the chain and dropping the oldest partitions removes a prefix of it.
 */

/** The name of the partition holding the month that starts at `monthStart`, e.g. `audit_entry_p202601`. */
export function partitionName(monthStart: Date): string {
  const y = monthStart.getUTCFullYear();
  const m = String(monthStart.getUTCMonth() + 1).padStart(2, '0');
  return `audit_entry_p${y}${m}`;
}

/** The first instant (UTC) of the month containing `at`. */
export function monthStartOf(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}
