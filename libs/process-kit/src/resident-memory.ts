import { readFile } from 'node:fs/promises';

/** Resident memory of a process in megabytes (VmRSS in /proc/<pid>/status), or NaN when unreadable. */
export async function residentMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return kb ? Number(kb[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
