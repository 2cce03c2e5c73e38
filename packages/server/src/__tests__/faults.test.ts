/**
 * Faults, each ending with a check that nothing was lost or corrupted:
 * - a client process killed (SIGKILL) mid-upload: atomic mode keeps the old file; atomic-resume
 *   keeps the partial upload under its name, and resuming it gives the right SHA-256;
 * - the server process killed (SIGKILL) mid-upload: no half-written file under the final name
 *   in atomic mode (the temporary file stays until `LocalFileSystem.sweepTemporaryFiles`);
 * - a full disk (ENOSPC, on a 4 MiB tmpfs when the tests may mount one, else a
 *   MemoryFileSystem with `maxBytes`): 452, the session goes on, nothing partial left.
 * (A data connection reset mid-download, resumed by @ftpkit/client, is in test/resilience.)
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, statfs, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { FileSystem, UploadMode } from "../fs/file-system.js";
import { LocalFileSystem, MemoryFileSystem } from "../fs/index.js";
import { ChildServer } from "./child-process.js";
import { startServer } from "./harness.js";
import { RawClient, sha256, writeAll } from "./raw-client.js";

const here = dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const OLD = "the old content, which must survive\n";
const TEMP = /\.ftpkit-[0-9a-f]{16}\.part$/;

/** The bytes fixtures/upload-and-hang.mjs sends. */
function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

const temps: string[] = [];
const children: ChildServer[] = [];
afterAll(async () => {
  for (const c of children) c.kill();
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ftpkit-faults-"));
  temps.push(root);
  return root;
}

/** Sizes of the temporary files of atomic uploads in `root`. */
async function tempSizes(root: string): Promise<number[]> {
  const names = (await readdir(root)).filter((n) => TEMP.test(n));
  return Promise.all(names.map(async (n) => (await stat(join(root, n)).catch(() => ({ size: -1 }))).size));
}

/** Starts fixtures/upload-and-hang.mjs uploading `size` bytes to `name`; resolves once they are sent. */
async function hangingUploader(port: number, name: string, size: number, seed: number) {
  const child = spawn(
    process.execPath,
    [join(here, "fixtures", "upload-and-hang.mjs"), String(port), name, String(size), String(seed)],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await vi.waitFor(() => expect(out).toContain(`sent ${size}`), { timeout: 15_000 });
  return { child, exited };
}

describe("a client killed mid-upload", () => {
  it("atomic: the old file is intact and no temporary file is left, every time", { timeout: 60_000 }, async () => {
    const root = await tempRoot();
    await writeFile(join(root, "f"), OLD);
    const t = await startServer({ fs: new LocalFileSystem(root), uploadMode: "atomic" });
    for (let round = 0; round < 3; round++) {
      const size = 3 * MiB + round * 12_345;
      const { child, exited } = await hangingUploader(t.port, "f", size, round);
      // Every byte reached the server's temporary file: only the end of the upload is missing.
      await vi.waitFor(async () => expect(await tempSizes(root)).toEqual([size]), { timeout: 15_000 });
      child.kill("SIGKILL");
      await exited;
      await vi.waitFor(() => expect(t.server.connectionCount).toBe(0), { timeout: 10_000 });
      expect(await readFile(join(root, "f"), "utf8")).toBe(OLD);
      expect(await readdir(root)).toEqual(["f"]);
    }
  });

  it("atomic: both connections closing at once, in either order, never commit (limits.atomicCommitDelay)", async () => {
    const root = await tempRoot();
    await writeFile(join(root, "f"), OLD);
    const t = await startServer({ fs: new LocalFileSystem(root), uploadMode: "atomic" });
    for (const dataFirst of [true, false, true, false]) {
      const c = await t.login();
      await c.expect("TYPE", "I", 200);
      const data = await RawClient.connectData(await c.epsv());
      data.on("error", () => {});
      expect((await c.send("STOR", "f")).code).toBe(150);
      await new Promise<void>((resolve) => data.write(pattern(256 * 1024, 9), () => resolve()));
      if (dataFirst) {
        data.end();
        c.socket.end();
      } else {
        c.socket.end();
        data.end();
      }
      await c.closed;
      await vi.waitFor(() => expect(t.server.connectionCount).toBe(0));
      expect(await readFile(join(root, "f"), "utf8")).toBe(OLD);
      expect(await readdir(root)).toEqual(["f"]);
    }
    // A client that stays for its 226 gets its upload committed.
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    expect((await c.stor("f", "new")).final.code).toBe(226);
    expect(await readFile(join(root, "f"), "utf8")).toBe("new");
  });

  it("atomic-resume: the partial upload is kept; resumed with REST, its SHA-256 is right", {
    timeout: 60_000,
  }, async () => {
    const root = await tempRoot();
    const t = await startServer({ fs: new LocalFileSystem(root), uploadMode: "atomic-resume" });
    const size = 6 * MiB + 777;
    const full = pattern(size, 42);
    const sent = 4 * MiB + 321;
    // The killed client sent the first `sent` bytes of the file.
    const { child, exited } = await hangingUploader(t.port, "big.bin", sent, 42);
    await vi.waitFor(async () => expect(await tempSizes(root)).toEqual([sent]), { timeout: 15_000 });
    child.kill("SIGKILL");
    await exited;
    await vi.waitFor(async () => expect(await readdir(root)).toEqual(["big.bin"]), { timeout: 10_000 });
    // A new client resumes as clients do: SIZE, then REST and STOR of the rest.
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    const have = Number((await c.expect("SIZE", "big.bin", 213)).lines[0]);
    expect(have).toBe(sent);
    await c.expect("REST", String(have), 350);
    expect((await c.stor("big.bin", full.subarray(have))).final.code).toBe(226);
    expect(sha256(await readFile(join(root, "big.bin")))).toBe(sha256(full));
    const back = await c.retr("big.bin");
    expect(sha256(back.data)).toBe(sha256(full));
  });
});

describe("the server process killed (SIGKILL) mid-upload", () => {
  for (const mode of ["atomic", "atomic-resume"] as const) {
    it(`${mode}: nothing half-written under a final name; the temporary files are swept`, {
      timeout: 60_000,
    }, async () => {
      const root = await tempRoot();
      await writeFile(join(root, "f"), OLD);
      const server = await ChildServer.start({ root, uploadMode: mode });
      children.push(server);
      const start = async (name: string) => {
        const c = await RawClient.connect(server.port);
        await c.login("u", "p");
        await c.expect("TYPE", "I", 200);
        const data = await RawClient.connectData(await c.epsv());
        data.on("error", () => {});
        expect((await c.send("STOR", name)).code).toBe(150);
        data.write(pattern(2 * MiB, 1));
        return c;
      };
      // One upload replacing f, one creating n: both well under way when the server dies.
      const clients = [await start("f"), await start("n")];
      await vi.waitFor(async () => expect((await tempSizes(root)).filter((s) => s >= MiB)).toHaveLength(2), {
        timeout: 15_000,
      });
      server.kill();
      expect((await server.exited).signal).toBe("SIGKILL");
      await Promise.all(clients.map((c) => c.closed));
      // The final names: f as it was, n never created. The temporary files are what is left.
      expect(await readFile(join(root, "f"), "utf8")).toBe(OLD);
      const names = (await readdir(root)).sort();
      expect(names.filter((n) => !TEMP.test(n))).toEqual(["f"]);
      expect(names.filter((n) => TEMP.test(n))).toHaveLength(2);
      // A new server hides them, and the sweep removes them.
      const again = await ChildServer.start({ root, uploadMode: mode });
      children.push(again);
      const c = await RawClient.connect(again.port);
      await c.login("u", "p");
      expect(await c.list("NLST", undefined)).toBe("f\r\n");
      expect((await LocalFileSystem.sweepTemporaryFiles(root, { olderThan: 0 })).sort()).toHaveLength(2);
      expect(await readdir(root)).toEqual(["f"]);
      expect((await c.stor("n", "fine\n")).final.code).toBe(226);
      await c.quit();
      expect(await again.request({ type: "close" })).toEqual({ type: "closed", connections: 0 });
    });
  }
});

/** A 4 MiB tmpfs when this process may mount one (root on Linux), else undefined. */
async function smallTmpfs(): Promise<string | undefined> {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return undefined;
  const dir = await mkdtemp(join(tmpdir(), "ftpkit-enospc-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", dir], { stdio: "ignore" });
  if (mounted.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  afterAll(async () => {
    spawnSync("umount", [dir], { stdio: "ignore" });
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

describe("a full disk (ENOSPC)", () => {
  for (const mode of ["atomic", "standard"] as const satisfies UploadMode[]) {
    it(`${mode}: 452 after the 150, the session goes on, ${mode === "atomic" ? "nothing partial is left" : "the partial is there to resume"}`, {
      timeout: 60_000,
    }, async () => {
      const tmpfs = await smallTmpfs();
      let fs: FileSystem;
      let onDisk: (() => Promise<string[]>) | undefined;
      if (tmpfs !== undefined) {
        await writeFile(join(tmpfs, "f"), OLD);
        fs = new LocalFileSystem(tmpfs);
        onDisk = async () => (await readdir(tmpfs)).sort();
      } else {
        // Without a tmpfs: the same check on MemoryFileSystem's byte limit.
        fs = new MemoryFileSystem({ "/f": OLD }, { maxBytes: 4 * MiB });
      }
      const t = await startServer({ fs, uploadMode: mode });
      const c = await t.login();
      await c.expect("TYPE", "I", 200);
      const big = pattern(8 * MiB, 3);
      const target = mode === "atomic" ? "f" : "g";
      const r = await c.transfer("STOR", target, "epsv", (s) => writeAll(s, big).catch(() => s.destroy()));
      expect(r.preliminary.code).toBe(150);
      expect(r.final.code).toBe(452);
      // The session goes on.
      expect((await c.send("NOOP")).code).toBe(200);
      expect((await c.retr("f")).data.toString()).toBe(OLD);
      const listed = (await c.list("NLST")).split("\r\n").filter(Boolean).sort();
      if (mode === "atomic") {
        expect(listed).toEqual(["f"]);
        if (onDisk !== undefined) expect(await onDisk()).toEqual(["f"]);
      } else {
        // standard writes in place: what fitted stays, a prefix of what was sent.
        expect(listed).toEqual(["f", "g"]);
        const partial = await c.retr("g");
        expect(partial.data.length).toBeGreaterThan(0);
        expect(sha256(partial.data)).toBe(sha256(big.subarray(0, partial.data.length)));
        await c.expect("DELE", "g", 250);
      }
      if (tmpfs !== undefined) {
        const free = await statfs(tmpfs);
        expect(free.bavail * free.bsize).toBeGreaterThan(3 * MiB);
      }
      // Room again: a normal upload succeeds.
      const small = pattern(MiB, 4);
      expect((await c.stor("h", small)).final.code).toBe(226);
      expect(sha256((await c.retr("h")).data)).toBe(sha256(small));
      console.info(
        `ENOSPC (${mode}) on ${tmpfs === undefined ? "MemoryFileSystem maxBytes" : "a 4 MiB tmpfs"}: 452, session kept`,
      );
    });
  }
});
