import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  readFile as hostReadFile,
  writeFile as hostWriteFile,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  symlink,
  unlink,
  utimes,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeUtf8OrLatin1, LocalProtocolError, resolveVirtualPath, splitVirtualPath } from "@ftpkit/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeFileSystemConformance } from "../testing/file-system-conformance.js";
import { kindOf, listAll, listNames, readFile, writeChunk, writeFile } from "../testing/file-system-helpers.js";
import type { FileSystem, UploadMode } from "./file-system.js";
import { LocalFileSystem } from "./local-file-system.js";

describeFileSystemConformance(
  "LocalFileSystem",
  async () => {
    const root = await mkdtemp(join(tmpdir(), "ftpkit-conformance-"));
    return {
      fs: new LocalFileSystem(root),
      cleanup: () => rm(root, { recursive: true, force: true }),
      symlink: (target, link) => symlink(target, join(root, ...splitVirtualPath(link))),
      populate: async (directory, names) => {
        // Hard links to one empty file: no inode per entry, so far cheaper than mkdir on ext4.
        const seed = join(root, ".populate-seed");
        await hostWriteFile(seed, "");
        const host = join(root, ...splitVirtualPath(directory));
        for (let i = 0; i < names.length; i += 64) {
          await Promise.all(names.slice(i, i + 64).map((name) => link(seed, join(host, name))));
        }
      },
    };
  },
  { symlinks: true },
);

// Every metadata call and listing on the thread pool, as for a storage found slow (see LocalFileSystem.list).
describeFileSystemConformance(
  "LocalFileSystem (thread pool: listSyncBudgetMs 0)",
  async () => {
    const root = await mkdtemp(join(tmpdir(), "ftpkit-conformance-"));
    return {
      fs: new LocalFileSystem(root, { listSyncBudgetMs: 0 }),
      cleanup: () => rm(root, { recursive: true, force: true }),
      symlink: (target, link) => symlink(target, join(root, ...splitVirtualPath(link))),
      populate: async (directory, names) => {
        // Hard links to one empty file: no inode per entry, so far cheaper than mkdir on ext4.
        const seed = join(root, ".populate-seed");
        await hostWriteFile(seed, "");
        const host = join(root, ...splitVirtualPath(directory));
        for (let i = 0; i < names.length; i += 64) {
          await Promise.all(names.slice(i, i + 64).map((name) => link(seed, join(host, name))));
        }
      },
    };
  },
  { symlinks: true },
);

/**
 * The jail: a root with decoys inside and a sibling directory "outside" holding canaries, joined by
 * real symlinks that lead out. Every test ends by checking that nothing outside changed. The
 * tests run as whatever user runs vitest, often root on CI machines: links to /etc are therefore
 * only ever read through, or asked to create new, uniquely named entries; every destructive
 * operation targets the canaries.
 */
const CANARY = "CANARY";
const SECRET = "SECRET";
const CANARY_TIME = new Date("2000-01-01T00:00:00Z");
const MODES = ["standard", "atomic", "atomic-resume"] as const satisfies readonly UploadMode[];

interface Jail {
  base: string;
  root: string;
  outside: string;
  fs: LocalFileSystem;
}

/** Everything observable about a tree: type, size, mode, mtime and content hash of each entry. */
async function snapshot(directory: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(relative: string): Promise<void> {
    for (const name of (await readdir(join(directory, relative))).sort()) {
      const path = join(directory, relative, name);
      const stats = await lstat(path);
      let detail = `${stats.mode.toString(8)} ${stats.size} ${stats.mtimeMs}`;
      if (stats.isFile())
        detail += ` ${createHash("sha256")
          .update(await hostReadFile(path))
          .digest("hex")}`;
      if (stats.isSymbolicLink()) detail += ` -> ${await readlink(path)}`;
      out[join(relative, name)] = detail;
      if (stats.isDirectory()) await walk(join(relative, name));
    }
  }
  await walk("");
  return out;
}

/** /etc/passwd and /etc/hostname as they are, to prove the links to /etc changed nothing. */
async function etcState(): Promise<string> {
  const parts: string[] = [];
  for (const path of ["/etc/passwd", "/etc/hostname"]) {
    const stats = await lstat(path).catch(() => undefined);
    if (stats) parts.push(`${path} ${stats.mode} ${stats.size} ${stats.mtimeMs} ${stats.ino}`);
  }
  return parts.join("\n");
}

async function makeJail(options: ConstructorParameters<typeof LocalFileSystem>[1] = {}): Promise<Jail> {
  const base = await mkdtemp(join(tmpdir(), "ftpkit-jail-"));
  const root = join(base, "root");
  const outside = join(base, "outside");
  await mkdir(join(outside, "dir"), { recursive: true });
  await mkdir(join(outside, "empty-dir"));
  await hostWriteFile(join(outside, "canary.txt"), CANARY);
  await hostWriteFile(join(outside, "dir", "secret.txt"), SECRET);
  for (const path of ["canary.txt", "dir/secret.txt", "dir", "empty-dir"]) {
    await utimes(join(outside, path), CANARY_TIME, CANARY_TIME);
  }
  await utimes(outside, CANARY_TIME, CANARY_TIME);

  await mkdir(join(root, "etc"), { recursive: true });
  await mkdir(join(root, "inside"));
  await hostWriteFile(join(root, "etc", "passwd"), "DECOY"); // where "../../etc/passwd" lands
  await hostWriteFile(join(root, "inside", "file.txt"), "INSIDE");
  await hostWriteFile(join(root, "victim.txt"), "VICTIM");
  const links: [target: string, link: string][] = [
    ["../outside/canary.txt", "out-file"],
    [join(outside, "canary.txt"), "out-file-abs"],
    ["../outside", "out-dir"],
    ["/etc", "etc-link"],
    ["/etc/passwd", "passwd-link"],
    ["chain2", "chain1"],
    ["chain3", "chain2"],
    ["../outside/canary.txt", "chain3"],
    ["../../outside", "inside/up"],
    ["../outside/created-by-attack.txt", "dangling-out"],
    ["loop-b", "loop-a"],
    ["loop-a", "loop-b"],
    ["inside/file.txt", "ok-file"],
    ["inside", "ok-dir"],
    [".", "self"],
    ["missing-inside", "dangling-in"],
  ];
  for (const [target, link] of links) await symlink(target, join(root, link));
  return { base, root, outside, fs: new LocalFileSystem(root, options) };
}

describe("LocalFileSystem jail", () => {
  let jail: Jail;
  let fs: LocalFileSystem;
  let outsideBefore: Record<string, string>;
  let etcBefore: string;

  beforeEach(async () => {
    jail = await makeJail();
    fs = jail.fs;
    outsideBefore = await snapshot(jail.outside);
    etcBefore = await etcState();
  });

  afterEach(async () => {
    // The point of every test: nothing outside the root was read into, written, created,
    // renamed, deleted, chmod-ed or touched.
    expect(await snapshot(jail.outside)).toEqual(outsideBefore);
    expect((await readdir(jail.base)).sort()).toEqual(["outside", "root"]);
    expect(await etcState()).toBe(etcBefore);
    await rm(jail.base, { recursive: true, force: true });
  });

  /** Reads and listings may only ever show what the host has under the root at the same place. */
  const inside: InsideChecks = {
    async content(path, content) {
      const host = await realpath(join(jail.root, ...splitVirtualPath(path)));
      expect(host.startsWith(`${await realpath(jail.root)}/`)).toBe(true);
      expect(content).toEqual(await hostReadFile(host));
    },
    async listing(path, names) {
      const host = await realpath(join(jail.root, ...splitVirtualPath(path)));
      const rootReal = await realpath(jail.root);
      expect(host === rootReal || host.startsWith(`${rootReal}/`)).toBe(true);
      const onHost = await readdir(host);
      for (const name of names) expect(onHost).toContain(name);
    },
  };

  describe("path-traversal corpus through resolveVirtualPath", () => {
    const overlong = decodeUtf8OrLatin1(new Uint8Array([0xc0, 0xae, 0xc0, 0xae, 0x2f, 0x65, 0x74, 0x63]));
    const ATTACKS = [
      "../../etc/passwd",
      "../../../../../../../../etc/passwd",
      "/../../etc/passwd",
      "/a/../../..",
      "/a/../../../outside/canary.txt",
      "../outside/canary.txt",
      "../../outside/dir/secret.txt",
      "..\\..\\etc\\passwd",
      "..\\..\\outside\\canary.txt",
      "..\\/..\\/outside",
      "/inside/../../outside/canary.txt",
      "./../.././../outside",
      "//../..//outside//canary.txt",
      "/./././../etc/passwd",
      "etc/passwd/.",
      "%2e%2e/%2e%2e/outside/canary.txt",
      "..%2f..%2foutside%2fcanary.txt",
      "%252e%252e%252foutside",
      "....//....//outside/canary.txt",
      ".../.../outside",
      "..;/..;/outside",
      "~/../outside",
      "~root/../../outside",
      "file:///etc/passwd",
      "C:\\Windows\\win.ini",
      "\\\\server\\share\\outside",
      "/proc/self/root/etc/passwd",
      "/proc/self/cwd/../outside",
      "\u2025/outside", // two dot leader
      "\uff0e\uff0e/outside", // fullwidth full stops
      "..\u2215outside", // division slash
      "..\u2044outside", // fraction slash
      "..\uff0foutside", // fullwidth solidus
      "..\u29f8outside", // big solidus
      "\u202e../outside", // right-to-left override
      overlong, // C0 AE: overlong "." in invalid UTF-8, decoded as Latin-1
      new TextDecoder().decode(new Uint8Array([0xc0, 0xae, 0xc0, 0xae, 0x2f, 0x2e, 0x2e])), // as U+FFFD
      "out-dir/canary.txt", // relative, through a link that leads out
      "/self/self/out-dir/canary.txt",
      "/ok-dir/../out-dir/canary.txt",
      `${"../".repeat(1500)}outside/canary.txt`, // longer than 4096 bytes: refused up front
      `${"a/../".repeat(800)}../outside`, // 4010 bytes: accepted, and resolves to /outside
      `/${"x".repeat(300)}/../outside`, // an overlong segment, popped again: accepted
      "../../etc/passwd\0.txt", // NUL: refused by the protocol
      "/outside\0",
      "x\r\nDELE /outside/canary.txt", // CR LF: refused by the protocol
    ];

    it("normalizes or refuses every attack, and each resolved path stays inside for every operation", async () => {
      let refused = 0;
      for (const attack of ATTACKS) {
        let path: string;
        try {
          path = resolveVirtualPath("/", attack);
        } catch (error) {
          expect(LocalProtocolError.isInstance(error)).toBe(true);
          refused++;
          continue;
        }
        expect(path.startsWith("/")).toBe(true);
        expect(splitVirtualPath(path)).not.toContain("..");
        await attackEverything(fs, path, inside);
      }
      expect(refused).toBe(4); // the input over 4096 bytes, the two NULs, the CR LF
    }, 30_000);

    it("refuses NUL, CR and LF even when a caller bypasses the protocol", async () => {
      expect(() => resolveVirtualPath("/", "a\0b")).toThrow(expect.objectContaining({ code: "FTP_ERR_PATH_NUL" }));
      for (const path of ["/out-dir\0/canary.txt", "/a\nb", "/a\rb"]) {
        expect(await kindOf(fs.stat(path))).toBe("invalid-name");
        expect(await kindOf(fs.openWrite(path, { mode: "standard" }))).toBe("invalid-name");
      }
    });
  });

  describe("real symlinks that lead out", () => {
    const OUTSIDE_FILES = ["/out-file", "/out-file-abs", "/chain1", "/out-dir/canary.txt", "/inside/up/canary.txt"];
    const OUTSIDE_DIRS = ["/out-dir", "/inside/up", "/self/out-dir", "/out-dir/dir", "/etc-link"];

    it.each([...OUTSIDE_FILES, "/passwd-link", "/etc-link/passwd", "/out-dir/dir/secret.txt", "/loop-a"])(
      "stat, read and hash of %s are refused",
      async (path) => {
        expect(await kindOf(fs.stat(path))).toBe("permission");
        expect(await kindOf(fs.createReadStream(path))).toBe("permission");
        expect(await kindOf(fs.createReadStream(path, { start: 2 }))).toBe("permission");
        expect(await kindOf(fs.hash(path, "SHA-256"))).toBe("permission");
      },
    );

    it.each(OUTSIDE_DIRS)("listing %s is refused, and so is STOU into it", async (path) => {
      expect(await kindOf(listAll(fs, path))).toBe("permission");
      expect(await kindOf(fs.createUnique(path, { mode: "standard", hint: "ftpkit-probe" }))).toBe("permission");
      expect(await kindOf(fs.createUnique(path, { mode: "atomic" }))).toBe("permission");
    });

    it.each(MODES)("uploads through links that lead out are refused in %s mode", async (mode) => {
      const probe = `/etc-link/ftpkit-probe-${process.pid}-${mode}`;
      for (const path of [...OUTSIDE_FILES, "/dangling-out", "/out-dir/new.txt", "/inside/up/new.txt", probe]) {
        expect(await kindOf(fs.openWrite(path, { mode }))).toBe("permission");
        expect(await kindOf(fs.openWrite(path, { mode, start: 2 }))).toBe("permission");
        expect(await kindOf(fs.openWrite(path, { mode, append: true }))).toBe("permission");
      }
      // A dangling link inside the root is refused too: we cannot know where the file would appear.
      expect(await kindOf(fs.openWrite("/dangling-in", { mode }))).toBe("permission");
      await expect(lstat(probe.replace("/etc-link", "/etc"))).rejects.toThrow();
    });

    it("mkdir, rmdir, unlink and rename through links that lead out are refused", async () => {
      const probe = `/etc-link/ftpkit-probe-dir-${process.pid}`;
      expect(await kindOf(fs.mkdir("/out-dir/new-dir"))).toBe("permission");
      expect(await kindOf(fs.mkdir(probe))).toBe("permission");
      expect(await kindOf(fs.rmdir("/out-dir/empty-dir"))).toBe("permission");
      expect(await kindOf(fs.rmdir("/inside/up/empty-dir"))).toBe("permission");
      expect(await kindOf(fs.unlink("/out-dir/canary.txt"))).toBe("permission");
      expect(await kindOf(fs.unlink("/inside/up/dir/secret.txt"))).toBe("permission");
      expect(await kindOf(fs.rename("/out-dir/canary.txt", "/stolen.txt"))).toBe("permission");
      expect(await kindOf(fs.rename("/victim.txt", "/out-dir/planted.txt"))).toBe("permission");
      expect(await kindOf(fs.rename("/victim.txt", "/out-dir/canary.txt"))).toBe("permission");
      expect(await kindOf(fs.rename("/inside", "/out-dir/inside"))).toBe("permission");
      await expect(lstat(probe.replace("/etc-link", "/etc"))).rejects.toThrow();
      expect((await hostReadFile(join(jail.root, "victim.txt"))).toString()).toBe("VICTIM");
    });

    it("chmod and setModifiedTime through links that lead out are refused", async () => {
      for (const path of [...OUTSIDE_FILES, "/out-dir", "/out-dir/dir", "/inside/up"]) {
        expect(await kindOf(fs.chmod(path, 0o777))).toBe("permission");
        expect(await kindOf(fs.setModifiedTime(path, new Date()))).toBe("permission");
      }
    });

    it("lists links that lead out as symlinks without showing where they lead", async () => {
      const entries = await listAll(fs, "/");
      for (const name of ["out-file", "out-file-abs", "out-dir", "etc-link", "passwd-link", "chain1", "dangling-out"]) {
        const entry = entries.find((candidate) => candidate.name === name);
        expect(entry).toMatchObject({ type: "symlink" });
        expect(entry?.target).toBeUndefined();
      }
      expect(entries.find((entry) => entry.name === "ok-file")).toMatchObject({
        type: "symlink",
        target: "/inside/file.txt",
      });
      expect(entries.find((entry) => entry.name === "self")).toMatchObject({ type: "symlink", target: "/" });
      expect(JSON.stringify(entries)).not.toContain(jail.outside);
      expect(await listNames(fs, "/inside")).toEqual(["file.txt", "up"]);
    });

    it("unlink and rename of a link that leads out act on the link alone", async () => {
      await fs.unlink("/out-file");
      await fs.rename("/out-dir", "/moved-link");
      await fs.rename("/chain3", "/inside/chain3");
      expect((await lstat(join(jail.root, "moved-link"))).isSymbolicLink()).toBe(true);
      expect(await kindOf(fs.stat("/moved-link/canary.txt"))).toBe("permission");
      expect(await kindOf(fs.stat("/out-file"))).toBe("not-found");
    });

    it("a symlink planted after a stat is refused at the next operation (check happens per call)", async () => {
      expect(await fs.stat("/victim.txt")).toMatchObject({ type: "file", size: 6 });
      await unlink(join(jail.root, "victim.txt"));
      await symlink(join(jail.outside, "canary.txt"), join(jail.root, "victim.txt"));
      expect(await kindOf(fs.createReadStream("/victim.txt"))).toBe("permission");
      expect(await kindOf(fs.openWrite("/victim.txt", { mode: "standard" }))).toBe("permission");
      expect(await kindOf(fs.openWrite("/victim.txt", { mode: "atomic", append: true }))).toBe("permission");
      expect(await kindOf(fs.chmod("/victim.txt", 0o777))).toBe("permission");
      expect(await kindOf(fs.setModifiedTime("/victim.txt", new Date()))).toBe("permission");
      expect(await kindOf(fs.hash("/victim.txt", "MD5"))).toBe("permission");
    });

    it("a symlink swapped in while an upload is open does not redirect its commit", async () => {
      for (const mode of MODES) {
        await hostWriteFile(join(jail.root, "victim.txt"), "VICTIM");
        const target = await fs.openWrite("/victim.txt", { mode });
        await writeChunk(target.stream, "PWNED");
        await unlink(join(jail.root, "victim.txt"));
        await symlink(join(jail.outside, "canary.txt"), join(jail.root, "victim.txt"));
        await target.commit();
        // Atomic modes replace the planted link by the new file; standard mode wrote into the file
        // it had opened, which is no longer linked anywhere: neither touched the canary.
        const after = await lstat(join(jail.root, "victim.txt"));
        expect(after.isSymbolicLink()).toBe(mode === "standard");
        await rm(join(jail.root, "victim.txt"));
      }
    });
  });

  describe("races: the tree changes while operations run", () => {
    /** Runs `attack` in a loop while `operations` run, until both are done. */
    async function race(attack: () => Promise<void>, operations: () => Promise<void>): Promise<void> {
      let running = true;
      const attacker = (async () => {
        while (running) await attack().catch(() => {});
      })();
      try {
        await operations();
      } finally {
        running = false;
        await attacker;
      }
    }

    it("a final component flipping between a file and a link that leads out", async () => {
      const swap = join(jail.root, "swap");
      await hostWriteFile(swap, "INNER");
      let flip = false;
      await race(
        async () => {
          // rename() over the name is atomic: the name is always either a file or a link.
          flip = !flip;
          const staged = join(jail.root, "inside", `staged-${flip}`);
          if (flip) await symlink(join(jail.outside, "canary.txt"), staged);
          else await hostWriteFile(staged, "INNER");
          await rename(staged, swap);
        },
        async () => {
          for (let i = 0; i < 60; i++) {
            const mode = MODES[i % 3] as UploadMode;
            await writeFile(fs, "/swap", "PWNED", { mode, ...(i % 2 ? { start: 1 } : {}) }).catch(() => {});
            await fs.chmod("/swap", 0o777).catch(() => {});
            await fs.setModifiedTime("/swap", new Date()).catch(() => {});
            const content = await readFile(fs, "/swap").catch(() => undefined);
            if (content) expect(content.toString()).not.toContain(CANARY);
            await fs.hash("/swap", "SHA-256").catch(() => {});
          }
        },
      );
    }, 20_000);

    it("a parent directory flipping between a real directory and a link that leads out", async () => {
      const parent = join(jail.root, "pdir");
      const makeInner = async (at: string) => {
        await mkdir(at);
        await hostWriteFile(join(at, "canary.txt"), "INNER");
        await mkdir(join(at, "empty-dir"));
      };
      await makeInner(parent);
      let flip = false;
      let n = 0;
      await race(
        async () => {
          flip = !flip;
          const staged = join(jail.root, "inside", `staged-dir-${n++}`);
          if (flip) await symlink(jail.outside, staged);
          else await makeInner(staged);
          // A directory cannot be renamed over a symlink or vice versa: move the old one away first.
          await rename(parent, join(jail.root, "inside", `old-${n}`));
          await rename(staged, parent);
        },
        async () => {
          for (let i = 0; i < 40; i++) {
            await fs.unlink("/pdir/canary.txt").catch(() => {});
            await fs.rmdir("/pdir/empty-dir").catch(() => {});
            await fs.rename("/pdir/canary.txt", `/stolen-${i}`).catch(() => {});
            await fs.rename("/victim.txt", "/pdir/planted.txt").catch(() => {});
            await fs.rename("/pdir/planted.txt", "/victim.txt").catch(() => {});
            await fs.mkdir(`/pdir/new-dir-${i}`).catch(() => {});
            await writeFile(fs, `/pdir/new-${i}.txt`, "PWNED").catch(() => {});
            await writeFile(fs, "/pdir/canary.txt", "PWNED", { mode: MODES[i % 3] as UploadMode }).catch(() => {});
            await fs.chmod("/pdir/canary.txt", 0o777).catch(() => {});
            await fs.setModifiedTime("/pdir/canary.txt", new Date()).catch(() => {});
            const content = await readFile(fs, "/pdir/canary.txt").catch(() => undefined);
            if (content) expect(content.toString()).not.toContain(CANARY);
            const names = await listNames(fs, "/pdir").catch(() => []);
            expect(names).not.toContain("dir"); // outside/dir never shows
          }
        },
      );
    }, 20_000);
  });

  describe("symlinks inside the root", () => {
    it("are followed for stat, reads, listings, writes and attributes", async () => {
      expect(await fs.stat("/ok-file")).toMatchObject({ name: "ok-file", type: "file", size: 6 });
      expect((await readFile(fs, "/ok-file")).toString()).toBe("INSIDE");
      expect((await readFile(fs, "/self/self/inside/file.txt")).toString()).toBe("INSIDE");
      expect(await listNames(fs, "/ok-dir")).toEqual(["file.txt", "up"]);
      expect(await fs.stat("/self")).toMatchObject({ type: "directory" });
      await writeFile(fs, "/ok-file", "REPLACED", { mode: "atomic" });
      expect((await lstat(join(jail.root, "ok-file"))).isSymbolicLink()).toBe(true); // the link stays
      expect((await hostReadFile(join(jail.root, "inside", "file.txt"))).toString()).toBe("REPLACED");
      await writeFile(fs, "/ok-dir/new.txt", "NEW");
      expect((await hostReadFile(join(jail.root, "inside", "new.txt"))).toString()).toBe("NEW");
      await fs.chmod("/ok-file", 0o600);
      expect((await lstat(join(jail.root, "inside", "file.txt"))).mode & 0o777).toBe(0o600);
      expect((await fs.hash("/ok-file", "MD5")).size).toBe(8);
    });

    it("are listed but never followed with followSymlinks: never", async () => {
      const strict = new LocalFileSystem(jail.root, { followSymlinks: "never" });
      expect(await kindOf(strict.stat("/ok-file"))).toBe("permission");
      expect(await kindOf(strict.createReadStream("/ok-file"))).toBe("permission");
      expect(await kindOf(strict.stat("/ok-dir/file.txt"))).toBe("permission");
      expect(await kindOf(listAll(strict, "/self"))).toBe("permission");
      expect(await kindOf(strict.openWrite("/ok-file", { mode: "standard" }))).toBe("permission");
      const links = (await listAll(strict, "/")).filter((entry) => entry.type === "symlink");
      expect(links.map((entry) => entry.name)).toContain("ok-file");
      expect(links.every((entry) => entry.target === undefined)).toBe(true);
      expect((await readFile(strict, "/inside/file.txt")).toString()).toBe("INSIDE");
    });
  });

  describe("other host specifics", () => {
    it("never opens a FIFO (a read would block a libuv thread until a writer comes)", async () => {
      execFileSync("mkfifo", [join(jail.root, "fifo")]);
      expect((await listAll(fs, "/")).find((entry) => entry.name === "fifo")?.type).toBe("other");
      expect(await kindOf(fs.createReadStream("/fifo"))).toBe("permission");
      expect(await kindOf(fs.openWrite("/fifo", { mode: "standard" }))).toBe("permission");
      expect(await kindOf(fs.openWrite("/fifo", { mode: "atomic" }))).toBe("permission");
    });

    it("drops setuid, setgid and sticky bits unless chmodMask allows them", async () => {
      await fs.chmod("/victim.txt", 0o4755);
      expect((await fs.stat("/victim.txt")).mode).toBe(0o755);
      await new LocalFileSystem(jail.root, { chmodMask: 0o7777 }).chmod("/victim.txt", 0o2755);
      expect((await fs.stat("/victim.txt")).mode).toBe(0o2755);
    });

    it("keeps the temporary name of a 255-byte file name within NAME_MAX", async () => {
      const name = `${"é".repeat(126)}xyz`; // 255 bytes
      const target = await fs.openWrite(`/${name}`, { mode: "atomic" });
      await writeChunk(target.stream, "long");
      const temp = (await readdir(jail.root)).find((entry) => entry.includes(".ftpkit-"));
      expect(Buffer.byteLength(temp ?? "")).toBeLessThanOrEqual(255);
      expect(await listNames(fs, "/")).not.toContain(temp);
      await target.commit();
      expect((await readFile(fs, `/${name}`)).toString()).toBe("long");
    });

    it("keeps the old file's permission bits across an atomic replace", async () => {
      await fs.chmod("/victim.txt", 0o640);
      await writeFile(fs, "/victim.txt", "new", { mode: "atomic" });
      expect((await fs.stat("/victim.txt")).mode).toBe(0o640);
    });

    it("leaks no descriptors, whatever succeeds or fails", async () => {
      const count = async () => (await readdir("/proc/self/fd")).length;
      const before = await count();
      await fs.stat("/inside/file.txt");
      await kindOf(fs.stat("/out-file"));
      await kindOf(listAll(fs, "/out-dir"));
      for await (const _entry of fs.list("/")) break;
      await listAll(fs, "/inside");
      await readFile(fs, "/ok-file");
      const unread = await fs.createReadStream("/victim.txt");
      unread.destroy();
      await new Promise((resolve) => unread.once("close", resolve));
      for (const mode of MODES) {
        const target = await fs.openWrite("/inside/upload", { mode });
        await writeChunk(target.stream, "x");
        await target.abort();
        await writeFile(fs, "/inside/upload", "y", { mode, append: true });
      }
      const unique = await fs.createUnique("/inside", { mode: "atomic" });
      await unique.target.abort();
      await kindOf(fs.openWrite("/out-file", { mode: "atomic" }));
      await fs.hash("/victim.txt", "CRC32");
      await fs.setModifiedTime("/victim.txt", new Date());
      expect(await count()).toBe(before);
    });
  });
});

/**
 * Every operation of the interface on one resolved path, with whatever arguments make sense;
 * errors are expected and ignored. What succeeds is checked: reads and listings must show what
 * the host has at that place under the root.
 */
interface InsideChecks {
  content(path: string, content: Buffer): Promise<void>;
  listing(path: string, names: readonly string[]): Promise<void>;
}

async function attackEverything(fs: FileSystem, path: string, inside: InsideChecks): Promise<void> {
  const content = await readFile(fs, path).catch(() => undefined);
  if (content) await inside.content(path, content);
  const tail = await readFile(fs, path, 2).catch(() => undefined);
  if (tail) expect(tail.toString()).not.toMatch(/ARY|CRET/);
  const names = await listNames(fs, path).catch(() => undefined);
  if (names) await inside.listing(path, names);
  await fs.stat(path).catch(() => {});
  await fs.hash?.(path, "SHA-256").catch(() => {});
  for (const mode of MODES) {
    await writeFile(fs, path, "PWNED", { mode }).catch(() => {});
    await writeFile(fs, path, "PWNED", { mode, start: 1 }).catch(() => {});
    const target = await fs.openWrite(path, { mode, append: true }).catch(() => undefined);
    if (target) {
      await writeChunk(target.stream, "PWNED").catch(() => {});
      await target.abort();
    }
  }
  await fs.createUnique?.(path, { mode: "atomic", hint: "probe" }).then(
    (unique) => unique.target.abort(),
    () => {},
  );
  await fs.mkdir(path).catch(() => {});
  await fs.setModifiedTime(path, new Date(0)).catch(() => {});
  await fs.chmod?.(path, 0o777).catch(() => {});
  await fs.rename(path, "/renamed-by-attack").catch(() => {});
  await fs.rename("/renamed-by-attack", path).catch(() => {});
  await fs.unlink(path).catch(() => {});
  await fs.rmdir(path).catch(() => {});
}
