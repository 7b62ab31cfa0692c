import { readFile } from 'node:fs/promises';

/** A `kB` line of /proc/<pid>/status in megabytes, or NaN when unreadable. */
async function statusMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  if (pid === undefined) return NaN;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return kb ? Number(kb[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Resident memory of a process in megabytes (VmRSS in /proc/<pid>/status), or NaN when unreadable. */
export const residentMb = (pid: number | undefined) => statusMb(pid, 'VmRSS');

/** The most resident memory a process has had since it started, in megabytes (VmHWM), or NaN when unreadable. */
export const peakResidentMb = (pid: number | undefined) => statusMb(pid, 'VmHWM');
