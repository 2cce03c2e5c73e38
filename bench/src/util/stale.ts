/**
 * Leftovers of a bench that was SIGKILLed (no handler ran): its work dirs (marked with the
 * owner's PID) and its empty cgroups (named after its PID). Removed at the next start when
 * that PID is gone. Its processes are not: Node children exit when their IPC channel closes,
 * and the interop harness's reaper stops the peers.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const MARK = ".ftpkit-bench-owner";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Marks a work dir as this process's. */
export function markOwned(dir: string): void {
  writeFileSync(path.join(dir, MARK), String(process.pid));
}

export function removeStale(): string[] {
  const removed: string[] = [];
  for (const parent of ["/dev/shm", os.tmpdir()]) {
    let names: string[] = [];
    try {
      names = readdirSync(parent).filter((n) => n.startsWith("ftpkit-bench-"));
    } catch {}
    for (const n of names) {
      const dir = path.join(parent, n);
      const mark = path.join(dir, MARK);
      if (!existsSync(mark)) continue;
      const owner = Number(readFileSync(mark, "utf8"));
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
        rmSync(dir, { recursive: true, force: true });
        removed.push(dir);
      }
    }
  }
  for (const root of ["/sys/fs/cgroup/unified", "/sys/fs/cgroup", "/sys/fs/cgroup/cpuacct"]) {
    let names: string[] = [];
    try {
      names = readdirSync(root).filter((n) => n.startsWith("ftpkit-bench-"));
    } catch {}
    for (const n of names) {
      const owner = Number(/^ftpkit-bench-(\d+)-/.exec(n)?.[1]);
      if (!owner || alive(owner)) continue;
      try {
        rmdirSync(path.join(root, n)); // only succeeds when empty
        removed.push(path.join(root, n));
      } catch {}
    }
  }
  return removed;
}
