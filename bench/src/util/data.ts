/**
 * Test data: a work dir on tmpfs (/dev/shm) when it has room, else os.tmpdir(); random files
 * written chunk by chunk from a reused buffer (never the whole file in memory); directories of
 * many entries.
 */
import { randomFill } from "node:crypto";
import { closeSync, mkdirSync, openSync, statfsSync, writeSync } from "node:fs";
import { chmod, mkdtemp, open } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface WorkDir {
  dir: string;
  onTmpfs: boolean;
  /** Why it is (not) on tmpfs. */
  note: string;
}

function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return 0;
  }
}

/** A fresh temp dir on /dev/shm when at least `needBytes` are free there, else in os.tmpdir(). */
export async function makeWorkDir(needBytes: number): Promise<WorkDir> {
  const shm = "/dev/shm";
  const free = freeBytes(shm);
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (free >= needBytes) {
    const dir = await mkdtemp(path.join(shm, "ftpkit-bench-"));
    // mkdtemp makes it 0700: the servers' unprivileged session processes must traverse it
    await chmod(dir, 0o755);
    return { dir, onTmpfs: true, note: `tmpfs ${shm} (${gib(free)} free, ${gib(needBytes)} needed)` };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "ftpkit-bench-"));
  await chmod(dir, 0o755);
  const why = free > 0 ? `only ${gib(free)} free on ${shm}, ${gib(needBytes)} needed` : `${shm} unavailable`;
  return { dir, onTmpfs: false, note: `${os.tmpdir()} (${why}): disk speed may limit the figures` };
}

const CHUNK = 4 * 1024 * 1024;

/** Writes `bytes` random bytes to `file`, 4 MiB at a time (two buffers: one filled while the other is written). */
export async function writeRandomFile(file: string, bytes: number): Promise<void> {
  const fh = await open(file, "w", 0o644);
  try {
    const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    const fill = (b: Buffer) =>
      new Promise<Buffer>((resolve, reject) => randomFill(b, (err, out) => (err ? reject(err) : resolve(out))));
    let written = 0;
    let i = 0;
    let next = fill(bufs[0]!);
    while (written < bytes) {
      const buf = await next;
      const n = Math.min(CHUNK, bytes - written);
      i ^= 1;
      if (written + n < bytes) next = fill(bufs[i]!);
      let off = 0;
      while (off < n) off += (await fh.write(buf, off, n - off, written + off)).bytesWritten;
      written += n;
    }
  } finally {
    await fh.close();
  }
}

/** `count` files of `size` random bytes named `prefix000001.bin`... in `dir` (created). */
export function writeSmallFiles(dir: string, count: number, size: number, prefix = "f"): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const buf = Buffer.allocUnsafe(size);
  const width = String(count).length;
  for (let i = 1; i <= count; i++) {
    // a little different every file, cheaply
    buf.writeUInt32LE(i, 0);
    if (size >= 64) buf.fill(i & 0xff, 4, 64);
    const fd = openSync(path.join(dir, `${prefix}${String(i).padStart(width, "0")}.bin`), "w", 0o644);
    try {
      writeSync(fd, buf);
    } finally {
      closeSync(fd);
    }
  }
}

/** A directory of `count` empty files (for the big-listing rows), names `entry-0000001.txt`... */
export function writeManyEntries(dir: string, count: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const width = String(count).length;
  for (let i = 1; i <= count; i++) {
    closeSync(openSync(path.join(dir, `entry-${String(i).padStart(width, "0")}.txt`), "w", 0o644));
  }
}
