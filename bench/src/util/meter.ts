/**
 * CPU time and memory of a server and everything it forks. vsftpd forks a session process per
 * connection that calls setsid() (a new process group) and whose own child can end up orphaned
 * (a zombie of PID 1, which does not reap here): neither the master's utime/cutime nor its
 * process group sees that CPU time. So each server is put into a cgroup of its own, which
 * counts the CPU of every process ever in it:
 *
 * 1. cgroup v2 (`cpu.stat` usage_usec; a cgroup2 mount, e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified),
 * 2. cgroup v1 `cpuacct` (`cpuacct.usage`),
 * 3. without either (not root, read-only cgroupfs): /proc, summing utime+stime+cutime+cstime over
 *    the master's process tree and process group (misses the CPU of orphaned session processes).
 *
 * Memory is the sum of PSS over the live processes (the cgroup's, or the process tree's): shared
 * pages are divided among the processes that share them, so a forking server is not charged its
 * shared libraries once per session.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { onCleanup } from "../lifecycle.js";
import { processPssBytes } from "./proc.js";

export interface ProcessMeter {
  /** How CPU time is counted (for the report). */
  readonly method: string;
  cpuSeconds(): number;
  /** Memory in bytes: PSS summed over the live processes. */
  memoryBytes(): number;
  /** Live (non-zombie) processes of the server. */
  livePids(): number[];
  close(): void;
}

interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
  ticks: number;
}

let clk: number | undefined;
function ticksPerSecond(): number {
  // CLK_TCK is 100 on every Linux that Node supports; proc.ts asks getconf for the rare exception
  clk ??= 100;
  return clk;
}

function procInfo(pid: number): ProcInfo | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const n = (i: number) => Number(f[i] ?? 0);
    return { pid, state: f[0] ?? "?", ppid: n(1), pgrp: n(2), ticks: n(11) + n(12) + n(13) + n(14) };
  } catch {
    return undefined;
  }
}

function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const e of readdirSync("/proc")) {
    const c = e.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const p = procInfo(Number(e));
    if (p) out.push(p);
  }
  return out;
}

const live = (p: ProcInfo | undefined) => p !== undefined && p.state !== "Z" && p.state !== "X";

/** The master, its descendants (by parent PID) and its process group. */
function tree(root: number): ProcInfo[] {
  const procs = allProcs();
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const seen = new Map<number, ProcInfo>();
  const stack = procs.filter((p) => p.pid === root || p.pgrp === root);
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (seen.has(p.pid)) continue;
    seen.set(p.pid, p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return [...seen.values()];
}

function cgroup2Mount(): string | undefined {
  try {
    for (const line of readFileSync("/proc/self/mounts", "utf8").split("\n")) {
      const [, mnt, type] = line.split(" ");
      if (type === "cgroup2" && mnt) return mnt;
    }
  } catch {}
  return undefined;
}

function cgroup1Cpuacct(): string | undefined {
  try {
    for (const line of readFileSync("/proc/self/mounts", "utf8").split("\n")) {
      const [, mnt, type, opts] = line.split(" ");
      if (type === "cgroup" && mnt && opts?.split(",").includes("cpuacct")) return mnt;
    }
  } catch {}
  return undefined;
}

class CgroupMeter implements ProcessMeter {
  private readonly unregister: () => void;

  constructor(
    readonly method: string,
    private readonly dir: string,
    private readonly usage: () => number,
  ) {
    this.unregister = onCleanup(`remove cgroup ${dir}`, async () => this.close());
  }

  cpuSeconds(): number {
    return this.usage();
  }

  pids(): number[] {
    try {
      return readFileSync(path.join(this.dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  livePids(): number[] {
    return this.pids().filter((p) => live(procInfo(p)));
  }

  memoryBytes(): number {
    let sum = 0;
    for (const p of this.livePids()) sum += processPssBytes(p);
    return sum;
  }

  close(): void {
    this.unregister();
    if (!existsSync(this.dir)) return;
    // anything left (a process that outlived its server) goes back to the parent cgroup
    const parent = path.join(path.dirname(this.dir), "cgroup.procs");
    for (const p of this.pids()) {
      try {
        writeFileSync(parent, String(p));
      } catch {}
    }
    try {
      rmdirSync(this.dir);
    } catch {}
  }
}

function tryCgroup(name: string, pid: number): ProcessMeter | undefined {
  const v2 = cgroup2Mount();
  const leaf = `ftpkit-bench-${process.pid}-${name.replace(/[^a-z0-9-]/gi, "")}-${pid}`;
  if (v2) {
    const dir = path.join(v2, leaf);
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, "cgroup.procs"), String(pid));
      const stat = path.join(dir, "cpu.stat");
      const usage = () => {
        const m = /^usage_usec (\d+)/m.exec(readFileSync(stat, "utf8"));
        return m ? Number(m[1]) / 1e6 : Number.NaN;
      };
      usage();
      return new CgroupMeter(`cgroup v2 cpu.stat (${dir})`, dir, usage);
    } catch {
      try {
        rmdirSync(dir);
      } catch {}
    }
  }
  const v1 = cgroup1Cpuacct();
  if (v1) {
    const dir = path.join(v1, leaf);
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, "cgroup.procs"), String(pid));
      const file = path.join(dir, "cpuacct.usage");
      const usage = () => Number(readFileSync(file, "utf8").trim()) / 1e9;
      usage();
      return new CgroupMeter(`cgroup v1 cpuacct (${dir})`, dir, usage);
    } catch {
      try {
        rmdirSync(dir);
      } catch {}
    }
  }
  return undefined;
}

/** A meter for the server whose master process is `pid` (call before it forks any session). */
export function meterFor(name: string, pid: number): ProcessMeter {
  const cg = tryCgroup(name, pid);
  if (cg) return cg;
  return {
    method: "/proc process tree (approximate: orphaned session processes are missed)",
    cpuSeconds: () => tree(pid).reduce((s, p) => s + p.ticks, 0) / ticksPerSecond(),
    memoryBytes: () =>
      tree(pid)
        .filter(live)
        .reduce((s, p) => s + processPssBytes(p.pid), 0),
    livePids: () =>
      tree(pid)
        .filter(live)
        .map((p) => p.pid),
    close: () => {},
  };
}
