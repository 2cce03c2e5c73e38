/** How big and how many: the full suite (the sizes) and --quick (under two minutes). */

export interface Profile {
  name: "full" | "quick";
  /** Size of the big transfer file. */
  bigFileBytes: number;
  /** Measured runs per case (after the warm-up). */
  runs: number;
  /** Warm-up runs per case (not recorded). */
  warmups: number;
  /** Session counts for "N sessions log in and list" at `sessionConcurrency` at once. */
  sessionCounts: readonly number[];
  sessionConcurrency: number;
  /** Sessions opened all at once in the burst row. */
  burstSessions: number;
  /** Idle logged-in sessions for the memory row. */
  idleSessions: number;
  /** Runs of the memory row. */
  memoryRuns: number;
  /** Small uploads over one session. */
  smallUploadCount: number;
  smallUploadSize: number;
  /** Entries of the big directory. */
  bigDirEntries: number;
  /** Files of the uploadDir tree, and their size. */
  uploadDirFiles: number;
  uploadDirFileSize: number;
  pools: readonly number[];
  /** Servers the client rows run against (of vsftpd and ftpkit). */
  clientRowServers: readonly ("vsftpd" | "ftpkit")[];
  /** A session of the load driver that hears nothing for this long fails (ms). */
  sessionIdleTimeoutMs: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const FULL: Profile = {
  name: "full",
  bigFileBytes: 2 * GiB,
  runs: 5,
  warmups: 1,
  sessionCounts: [100, 1000],
  sessionConcurrency: 32,
  burstSessions: 100,
  idleSessions: 1000,
  memoryRuns: 2,
  smallUploadCount: 1000,
  smallUploadSize: 4096,
  bigDirEntries: 100_000,
  uploadDirFiles: 1000,
  uploadDirFileSize: 4096,
  pools: [1, 4, 8],
  clientRowServers: ["vsftpd", "ftpkit"],
  sessionIdleTimeoutMs: 30_000,
};

export const QUICK: Profile = {
  name: "quick",
  bigFileBytes: 64 * MiB,
  runs: 2,
  warmups: 1,
  sessionCounts: [100, 200],
  sessionConcurrency: 32,
  burstSessions: 100,
  idleSessions: 200,
  memoryRuns: 1,
  smallUploadCount: 50,
  smallUploadSize: 4096,
  bigDirEntries: 10_000,
  uploadDirFiles: 100,
  uploadDirFileSize: 4096,
  pools: [1, 4, 8],
  clientRowServers: ["vsftpd"],
  sessionIdleTimeoutMs: 5_000,
};

/** Human size: 2 GiB, 128 MiB, 4 KiB. */
export function bytesLabel(n: number): string {
  if (n >= GiB && n % GiB === 0) return `${n / GiB} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** 100000 -> "100,000" */
export function countLabel(n: number): string {
  return n.toLocaleString("en-US");
}
