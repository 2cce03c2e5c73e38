/** Memory of one process from /proc. */
import { readFileSync } from "node:fs";

function statusKb(pid: number, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** VmRSS in bytes (0 if the process is gone). */
export function processRssBytes(pid: number): number {
  return statusKb(pid, "VmRSS") ?? 0;
}

/**
 * PSS (proportional set size) in bytes: resident pages, each shared page divided by the number
 * of processes sharing it (/proc/<pid>/smaps_rollup); VmRSS where smaps_rollup is missing.
 * Summed over a forking server's processes (vsftpd: two per session) it gives its real
 * footprint, where a VmRSS sum would count the shared libraries once per process.
 */
export function processPssBytes(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {}
  return processRssBytes(pid);
}
