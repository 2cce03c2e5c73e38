/**
 * The conformance suite every {@link FileSystem} back-end must pass: MemoryFileSystem and
 * LocalFileSystem run it here, an S3 back-end runs the very same tests later. One test per
 * behaviour the server relies on, each table-driven where the behaviour varies (upload modes).
 *
 * Coverage of the storage error kinds: `not-found`, `exists`, `not-directory`, `is-directory`,
 * `not-empty`, `permission` (the root), `invalid-name` (a directory into itself, a bad STOU
 * hint) and `name-too-long` are produced through the interface alone, so they are tested here.
 * `no-space`, `quota`, `busy`, `too-large`, `not-supported` and `io` need a failing storage and
 * are tested by each back-end's own tests (MemoryFileSystem's `maxBytes`, for instance).
 *
 * Each test gets a fresh, empty file system from the factory and cleans it up afterwards.
 */
import { createHash, randomFillSync } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileSystem, UploadMode } from "../fs/file-system.js";
import { FileSystemError } from "../fs/file-system-error.js";
import { kindOf, listAll, listNames, readFile, writeChunk, writeFile } from "./file-system-helpers.js";

/** Per-instance facts about a back-end that tests read at run time. */
export interface FileSystemConformanceCapabilities {
  /**
   * The file bytes live in this process's memory (MemoryFileSystem): the memory bound of the
   * large-file test then allows for the file itself. Default false.
   */
  readonly storesInProcess?: boolean;
}

/**
 * What a back-end offers, declared when the suite is registered so that tests of a missing
 * feature are left out (never skipped). Defaults: everything but symlinks.
 */
export interface FileSystemConformanceFeatures {
  readonly symlinks?: boolean;
  readonly chmod?: boolean;
  readonly createUnique?: boolean;
  readonly hash?: boolean;
  readonly sparseWrites?: boolean;
  readonly replaceEmptyDirectory?: boolean;
  /**
   * A `standard`-mode upload is visible under its final name while it runs, as an in-place
   * write on a POSIX file system is (default true). Object stores publish an object only
   * when its upload completes.
   */
  readonly visibleWhileUploading?: boolean;
  /** Size of the streamed large-file test in bytes (default 64 MiB); 0 leaves the test out. */
  readonly largeFileBytes?: number;
  /** Entries of the big-directory test (default 10,000); 0 leaves the test out. */
  readonly manyEntries?: number;
}

const noTest = Object.assign(() => undefined, { for: () => () => undefined, each: () => () => undefined });

/** What the factory of {@link describeFileSystemConformance} returns, once per test. */
export interface FileSystemConformanceSubject {
  /** A file system whose root is empty. */
  readonly fs: FileSystem;
  /** Removes everything the test left (temporary directories, buckets...). */
  cleanup(): Promise<void>;
  readonly capabilities?: FileSystemConformanceCapabilities;
  /**
   * Creates a symbolic link at the virtual path `link` whose target text is `target` (taken as
   * is: relative targets are relative to the link's directory). Present when the storage has
   * symlinks; it enables the symlink tests.
   */
  symlink?(target: string, link: string): Promise<void>;
  /**
   * Creates entries (of any type) named `names` in the existing directory `directory` (virtual
   * path) straight on the storage, for the big-directory test, which is about listing, not
   * creating: 10,000 `mkdir` calls through the jail cost a local file system four system calls
   * each, and directories are the most expensive entries to create and remove on ext4 (hard
   * links to one file are ten times cheaper). Without it the test uses `fs.mkdir`.
   */
  populate?(directory: string, names: readonly string[]): Promise<void>;
}

const MiB = 1024 * 1024;
/** The streaming test may grow the resident set by less than this (plus the file, in process). */
const STREAMING_MEMORY_BOUND = 48 * MiB;
/** Tolerance of the "modification time is about now" checks: clocks of remote storage drift. */
const CLOCK_SLACK_MS = 5 * 60 * 1000;

/** Names that break naive listings and parsers: spaces, UTF-8, leading dash and dot, `;` and `=`. */
const AWKWARD_NAMES = [
  "with space",
  " leading space",
  "café ☕",
  "日本語.txt",
  "-rf",
  "--help",
  ".hidden",
  "semi;colon=equals",
  "100% sure",
  "#hash&amp",
  "back`tick'quote",
] as const;

const MODES = ["standard", "atomic", "atomic-resume"] as const satisfies readonly UploadMode[];

/**
 * What each upload mode leaves behind (FileSystem.openWrite, UploadMode). The scenarios:
 * - `freshOverOld`: a fresh upload over "OLD-CONTENT" writes "partial", then aborts;
 * - `freshNew`: the same on a name that did not exist (`null`: still absent afterwards);
 * - `resumed`: REST 3 + "XY" over "0123456789", then abort;
 * - `hiddenWhileFresh`: during a fresh upload, the new content cannot be seen under the final
 *   name (an old file still reads as before; a new name does not exist yet).
 */
const ABORT_OUTCOMES: Record<
  UploadMode,
  { freshOverOld: string; freshNew: string | null; resumed: string; hiddenWhileFresh: boolean }
> = {
  standard: { freshOverOld: "partial", freshNew: "partial", resumed: "012XY56789", hiddenWhileFresh: false },
  atomic: { freshOverOld: "OLD-CONTENT", freshNew: null, resumed: "0123456789", hiddenWhileFresh: true },
  "atomic-resume": { freshOverOld: "partial", freshNew: "partial", resumed: "012XY56789", hiddenWhileFresh: true },
};

/** Published test vectors: FIPS 180-2 (SHA), RFC 1321 (MD5), and the CRC-32 check value. */
const HASH_VECTORS = [
  ["SHA-256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  ["SHA-256", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
  ["SHA-1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"],
  ["MD5", "abc", "900150983cd24fb0d6963f7d28e17f72"],
  ["CRC32", "123456789", "cbf43926"],
  ["CRC32", "abc", "352441c2"],
] as const;

/**
 * A garbage collection on demand, so the memory bound measures what the back-end keeps, not
 * garbage V8 has yet to collect: V8 only hurries for external (Buffer) memory after ~64 MB of
 * it, which alone would break a 48 MiB bound. `--expose-gc` set at run time exposes `gc` to
 * contexts created afterwards.
 */
function garbageCollector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/**
 * Registers the conformance tests for one back-end.
 *
 * @param name - The `describe` title, e.g. "LocalFileSystem".
 * @param factory - Called before every test; returns a fresh, empty file system.
 */
export function describeFileSystemConformance(
  name: string,
  factory: () => Promise<FileSystemConformanceSubject>,
  features: FileSystemConformanceFeatures = {},
): void {
  // Tests of a feature the back-end lacks are not registered at all: a skipped test would
  // be a missing test that still looks present.
  const when = (condition: boolean): typeof it => (condition ? it : (noTest as unknown as typeof it));
  const symlinks = features.symlinks ?? false;
  const chmod = features.chmod ?? true;
  const unique = features.createUnique ?? true;
  const hash = features.hash ?? true;
  const sparse = features.sparseWrites ?? true;
  const replaceEmpty = features.replaceEmptyDirectory ?? true;
  const visibleWhileUploading = features.visibleWhileUploading ?? true;
  const largeFileBytes = features.largeFileBytes ?? 64 * MiB;
  const manyEntries = features.manyEntries ?? 10_000;
  describe(`FileSystem conformance: ${name}`, () => {
    let subject: FileSystemConformanceSubject;
    let fs: FileSystem;

    beforeEach(async () => {
      subject = await factory();
      fs = subject.fs;
    });

    afterEach(async () => {
      await fs.close?.();
      await subject.cleanup();
    });

    function capability<K extends keyof FileSystemConformanceCapabilities>(
      key: K,
      fallback: NonNullable<FileSystemConformanceCapabilities[K]>,
    ): NonNullable<FileSystemConformanceCapabilities[K]> {
      return subject.capabilities?.[key] ?? fallback;
    }

    describe("stat", () => {
      it("describes a file: name, type, size, a recent modification time", async () => {
        const before = Date.now();
        await writeFile(fs, "/file.txt", "hello");
        const entry = await fs.stat("/file.txt");
        expect(entry).toMatchObject({ name: "file.txt", type: "file", size: 5 });
        expect(entry.modifiedAt).toBeInstanceOf(Date);
        expect(Math.abs(entry.modifiedAt.getTime() - before)).toBeLessThan(CLOCK_SLACK_MS);
      });

      it("describes an empty file, a directory and the root (named /)", async () => {
        await writeFile(fs, "/empty", "");
        await fs.mkdir("/dir");
        expect(await fs.stat("/empty")).toMatchObject({ name: "empty", type: "file", size: 0 });
        expect(await fs.stat("/dir")).toMatchObject({ name: "dir", type: "directory" });
        expect(await fs.stat("/")).toMatchObject({ name: "/", type: "directory" });
      });

      it("fails with not-found for a missing entry, and for a path through a file", async () => {
        await writeFile(fs, "/file", "x");
        expect(await kindOf(fs.stat("/missing"))).toBe("not-found");
        expect(await kindOf(fs.stat("/missing/deeper"))).toBe("not-found");
        expect(["not-directory", "not-found"]).toContain(await kindOf(fs.stat("/file/child")));
      });

      it("refuses a name longer than 255 bytes with name-too-long", async () => {
        expect(await kindOf(fs.stat(`/${"é".repeat(128)}`))).toBe("name-too-long");
      });
    });

    describe("list", () => {
      it("lists awkward names exactly, with their types and sizes, and never . or ..", async () => {
        for (const [i, entryName] of AWKWARD_NAMES.entries()) await writeFile(fs, `/${entryName}`, "x".repeat(i));
        await fs.mkdir("/a dir; really");
        const entries = await listAll(fs, "/");
        expect(entries.map((entry) => entry.name)).toEqual([...AWKWARD_NAMES, "a dir; really"].sort(byCodeUnit));
        for (const [i, entryName] of AWKWARD_NAMES.entries()) {
          expect(entries.find((entry) => entry.name === entryName)).toMatchObject({ type: "file", size: i });
        }
        expect(entries.find((entry) => entry.name === "a dir; really")?.type).toBe("directory");
        expect(await fs.stat(`/${AWKWARD_NAMES[2]}`)).toMatchObject({ name: AWKWARD_NAMES[2], size: 2 });
      });

      it("lists an empty directory as empty and a subdirectory's own entries only", async () => {
        await fs.mkdir("/empty");
        await fs.mkdir("/sub");
        await writeFile(fs, "/sub/inner", "1");
        await writeFile(fs, "/outer", "2");
        expect(await listNames(fs, "/empty")).toEqual([]);
        expect(await listNames(fs, "/sub")).toEqual(["inner"]);
      });

      it("fails with not-found for a missing directory and not-directory for a file", async () => {
        await writeFile(fs, "/file", "x");
        expect(await kindOf(listAll(fs, "/missing"))).toBe("not-found");
        expect(await kindOf(listAll(fs, "/file"))).toBe("not-directory");
        if (fs.listNames !== undefined) {
          const names = fs.listNames.bind(fs);
          const drain = async (path: string) => {
            for await (const _name of names(path));
          };
          expect(await kindOf(drain("/missing"))).toBe("not-found");
          expect(await kindOf(drain("/file"))).toBe("not-directory");
        }
      });

      it("can be abandoned part way (the server stops a listing on ABOR) and leaves nothing open", async () => {
        for (let i = 0; i < 40; i++) await fs.mkdir(`/d${i}`);
        let seen = 0;
        for await (const _entry of fs.list("/")) if (++seen === 3) break;
        expect(seen).toBe(3);
        await fs.rmdir("/d0");
        expect(await listNames(fs, "/")).toHaveLength(39);
      });
    });

    describe("createReadStream", () => {
      it.each([
        [0, "0123456789"],
        [4, "456789"],
        [9, "9"],
        [10, ""],
        [25, ""],
      ])("reads from offset %i (REST)", async (start, expected) => {
        await writeFile(fs, "/digits", "0123456789");
        expect((await readFile(fs, "/digits", start)).toString()).toBe(expected);
      });

      it("reads an empty file as an empty stream", async () => {
        await writeFile(fs, "/empty", "");
        expect(await readFile(fs, "/empty")).toHaveLength(0);
      });

      it("fails with not-found for a missing file and is-directory for a directory", async () => {
        await fs.mkdir("/dir");
        expect(await kindOf(fs.createReadStream("/missing"))).toBe("not-found");
        expect(await kindOf(fs.createReadStream("/dir"))).toBe("is-directory");
        expect(await kindOf(fs.createReadStream("/"))).toBe("is-directory");
      });
    });

    describe.each(MODES)("openWrite in %s mode", (mode) => {
      const outcome = ABORT_OUTCOMES[mode];

      it("creates a file, reports its size on commit, and shows nothing else in the directory", async () => {
        const target = await fs.openWrite("/new.bin", { mode });
        await writeChunk(target.stream, "hello ");
        await writeChunk(target.stream, new Uint8Array([0x77, 0x6f, 0x72, 0x6c, 0x64]));
        target.stream.end();
        expect(await target.commit()).toEqual({ size: 11 });
        expect((await readFile(fs, "/new.bin")).toString()).toBe("hello world");
        expect(await listNames(fs, "/")).toEqual(["new.bin"]);
      });

      it("replaces a longer file entirely on a fresh upload (truncates)", async () => {
        await writeFile(fs, "/f", "0123456789");
        expect(await writeFile(fs, "/f", "abc", { mode })).toBe(3);
        expect((await readFile(fs, "/f")).toString()).toBe("abc");
        expect((await fs.stat("/f")).size).toBe(3);
      });

      it("writes at a REST offset without truncating before or after it", async () => {
        await writeFile(fs, "/f", "0123456789");
        expect(await writeFile(fs, "/f", "XY", { mode, start: 3 })).toBe(10);
        expect((await readFile(fs, "/f")).toString()).toBe("012XY56789");
      });

      it("appends (APPE), to an existing file and to a new one", async () => {
        await writeFile(fs, "/f", "0123");
        expect(await writeFile(fs, "/f", "45", { mode, append: true })).toBe(6);
        expect((await readFile(fs, "/f")).toString()).toBe("012345");
        expect(await writeFile(fs, "/g", "new", { mode, append: true })).toBe(3);
        expect((await readFile(fs, "/g")).toString()).toBe("new");
      });

      when(sparse)("fills a REST offset past the end with zeros", async () => {
        await writeFile(fs, "/f", "ab");
        expect(await writeFile(fs, "/f", "c", { mode, start: 4 })).toBe(5);
        expect(await readFile(fs, "/f")).toEqual(Buffer.from([0x61, 0x62, 0, 0, 0x63]));
      });

      // An object store publishes an upload only when it completes, whatever the mode.
      const hiddenWhileFresh = outcome.hiddenWhileFresh || !visibleWhileUploading;
      it(`while a fresh upload runs, the final name ${hiddenWhileFresh ? "shows the old state" : "shows the bytes written"}`, async () => {
        await writeFile(fs, "/old", "OLD-CONTENT");
        const overOld = await fs.openWrite("/old", { mode });
        const fresh = await fs.openWrite("/fresh", { mode });
        await writeChunk(overOld.stream, "partial");
        await writeChunk(fresh.stream, "partial");
        if (hiddenWhileFresh) {
          expect((await readFile(fs, "/old")).toString()).toBe("OLD-CONTENT");
          expect(await kindOf(fs.stat("/fresh"))).toBe("not-found");
          expect(await listNames(fs, "/")).toEqual(["old"]); // no temporary file shows
        } else {
          expect((await readFile(fs, "/old")).toString()).toBe("partial");
          expect((await readFile(fs, "/fresh")).toString()).toBe("partial");
        }
        await overOld.commit();
        await fresh.commit();
        expect((await readFile(fs, "/old")).toString()).toBe("partial");
        expect(await listNames(fs, "/")).toEqual(["fresh", "old"]);
      });

      it(`abort in the middle of a fresh upload leaves ${JSON.stringify(outcome.freshOverOld)} over an old file and ${JSON.stringify(outcome.freshNew)} on a new name`, async () => {
        await fs.mkdir("/d");
        await writeFile(fs, "/d/old", "OLD-CONTENT");
        const overOld = await fs.openWrite("/d/old", { mode });
        const fresh = await fs.openWrite("/d/new", { mode });
        await writeChunk(overOld.stream, "partial");
        await writeChunk(fresh.stream, "partial");
        await overOld.abort();
        await fresh.abort();
        expect((await readFile(fs, "/d/old")).toString()).toBe(outcome.freshOverOld);
        if (outcome.freshNew === null) {
          expect(await kindOf(fs.stat("/d/new"))).toBe("not-found");
          expect(await listNames(fs, "/d")).toEqual(["old"]);
        } else {
          expect((await readFile(fs, "/d/new")).toString()).toBe(outcome.freshNew);
          expect(await listNames(fs, "/d")).toEqual(["new", "old"]);
        }
      });

      it(`abort in the middle of a resumed upload (REST) leaves ${JSON.stringify(outcome.resumed)}`, async () => {
        await writeFile(fs, "/f", "0123456789");
        const target = await fs.openWrite("/f", { mode, start: 3 });
        await writeChunk(target.stream, "XY");
        await target.abort();
        expect((await readFile(fs, "/f")).toString()).toBe(outcome.resumed);
        expect(await listNames(fs, "/")).toEqual(["f"]);
      });

      it("a broken transfer (stream destroyed with an error) fails the commit, which cleans up like abort", async () => {
        await writeFile(fs, "/f", "OLD-CONTENT");
        const target = await fs.openWrite("/f", { mode });
        await writeChunk(target.stream, "partial");
        target.stream.destroy(new FileSystemError("io", "the data connection broke"));
        await new Promise((resolve) => target.stream.once("close", resolve));
        expect(await kindOf(target.commit())).toBe("io");
        await target.abort(); // a no-op now, and must not throw
        expect((await readFile(fs, "/f")).toString()).toBe(outcome.freshOverOld);
        expect(await listNames(fs, "/")).toEqual(["f"]);
      });

      it("commit after abort rejects; a second commit shares the first outcome", async () => {
        const aborted = await fs.openWrite("/a", { mode: mode });
        await aborted.abort();
        await expect(aborted.commit()).rejects.toThrow();
        const committed = await fs.openWrite("/b", { mode });
        committed.stream.end("b");
        const first = committed.commit();
        expect(committed.commit()).toBe(first);
        expect(await first).toEqual({ size: 1 });
      });

      it("refuses directories, the root, a missing parent and a parent that is a file", async () => {
        await fs.mkdir("/dir");
        await writeFile(fs, "/file", "x");
        expect(await kindOf(fs.openWrite("/dir", { mode }))).toBe("is-directory");
        expect(await kindOf(fs.openWrite("/", { mode }))).toBe("is-directory");
        expect(await kindOf(fs.openWrite("/missing/f", { mode }))).toBe("not-found");
        expect(["not-directory", "not-found"]).toContain(await kindOf(fs.openWrite("/file/f", { mode })));
        expect(await kindOf(fs.openWrite(`/${"n".repeat(256)}`, { mode }))).toBe("name-too-long");
        expect(await listNames(fs, "/")).toEqual(["dir", "file"]);
      });
    });

    describe("concurrent uploads", () => {
      it("two atomic uploads to one name: the last commit wins whole, nothing is left over", async () => {
        const first = await fs.openWrite("/f", { mode: "atomic" });
        const second = await fs.openWrite("/f", { mode: "atomic" });
        await writeChunk(first.stream, "first-".repeat(1000));
        await writeChunk(second.stream, "second-".repeat(1000));
        await first.commit();
        expect((await readFile(fs, "/f")).toString()).toBe("first-".repeat(1000));
        await second.commit();
        expect((await readFile(fs, "/f")).toString()).toBe("second-".repeat(1000));
        expect(await listNames(fs, "/")).toEqual(["f"]);
      });
    });

    if (unique)
      describe("createUnique (STOU)", () => {
        when(unique)("reserves distinct free names, starting from the hint", async () => {
          const createUnique = fs.createUnique!.bind(fs);
          await fs.mkdir("/d");
          await writeFile(fs, "/d/up.txt", "taken");
          const one = await createUnique("/d", { mode: "atomic", hint: "up.txt" });
          const two = await createUnique("/d", { mode: "standard", hint: "up.txt" });
          expect(one.path).not.toBe(two.path);
          for (const path of [one.path, two.path]) expect(path).toMatch(/^\/d\/up\.txt.+/);
          one.target.stream.end("one");
          two.target.stream.end("two");
          await one.target.commit();
          await two.target.commit();
          expect((await readFile(fs, one.path)).toString()).toBe("one");
          expect((await readFile(fs, two.path)).toString()).toBe("two");
          expect((await readFile(fs, "/d/up.txt")).toString()).toBe("taken");
          const free = await createUnique("/d", { mode: "standard", hint: "free" });
          expect(free.path).toBe("/d/free");
          await free.target.commit();
        });

        when(unique)("picks a fresh name without a hint", async () => {
          const { path, target } = await fs.createUnique!("/", { mode: "standard" });
          target.stream.end("x");
          expect(await target.commit()).toEqual({ size: 1 });
          expect(await listNames(fs, "/")).toEqual([path.slice(1)]);
        });

        when(unique).for([
          ["atomic", []],
          ["atomic-resume", ["stou"]],
          ["standard", ["stou"]],
        ] as const)("an aborted %s STOU leaves %j", async ([mode, names]) => {
          const { target } = await fs.createUnique!("/", { mode, hint: "stou" });
          await writeChunk(target.stream, "partial");
          await target.abort();
          expect(await listNames(fs, "/")).toEqual(names);
        });

        when(unique)("refuses a hint that is not one name, and a missing directory", async () => {
          expect(await kindOf(fs.createUnique!("/", { mode: "standard", hint: "a/b" }))).toBe("invalid-name");
          expect(await kindOf(fs.createUnique!("/", { mode: "standard", hint: ".." }))).toBe("invalid-name");
          expect(await kindOf(fs.createUnique!("/missing", { mode: "standard" }))).toBe("not-found");
          expect(await listNames(fs, "/")).toEqual([]);
        });
      });

    describe("mkdir", () => {
      it("creates directories, nested and with UTF-8 names", async () => {
        await fs.mkdir("/a");
        await fs.mkdir("/a/ünï cödé");
        expect(await fs.stat("/a/ünï cödé")).toMatchObject({ type: "directory", name: "ünï cödé" });
        expect(await listNames(fs, "/a")).toEqual(["ünï cödé"]);
      });

      it("fails with exists for a directory, a file and the root", async () => {
        await fs.mkdir("/d");
        await writeFile(fs, "/f", "x");
        expect(await kindOf(fs.mkdir("/d"))).toBe("exists");
        expect(await kindOf(fs.mkdir("/f"))).toBe("exists");
        expect(await kindOf(fs.mkdir("/"))).toBe("exists");
        expect((await fs.stat("/f")).type).toBe("file");
      });

      it("fails with not-found when the parent is missing", async () => {
        expect(await kindOf(fs.mkdir("/no/such"))).toBe("not-found");
        expect(await listNames(fs, "/")).toEqual([]);
      });
    });

    describe("rmdir", () => {
      it("removes an empty directory", async () => {
        await fs.mkdir("/d");
        await fs.rmdir("/d");
        expect(await kindOf(fs.stat("/d"))).toBe("not-found");
      });

      it("refuses a non-empty directory (not recursive), a file, a missing one and the root", async () => {
        await fs.mkdir("/d");
        await writeFile(fs, "/d/f", "x");
        expect(await kindOf(fs.rmdir("/d"))).toBe("not-empty");
        expect(await kindOf(fs.rmdir("/d/f"))).toBe("not-directory");
        expect(await kindOf(fs.rmdir("/missing"))).toBe("not-found");
        expect(await kindOf(fs.rmdir("/"))).toBe("permission");
        expect(await listNames(fs, "/d")).toEqual(["f"]);
      });
    });

    describe("unlink", () => {
      it("removes a file", async () => {
        await writeFile(fs, "/f", "x");
        await fs.unlink("/f");
        expect(await kindOf(fs.stat("/f"))).toBe("not-found");
      });

      it("refuses a missing file, a directory and the root", async () => {
        await fs.mkdir("/d");
        expect(await kindOf(fs.unlink("/missing"))).toBe("not-found");
        expect(await kindOf(fs.unlink("/d"))).toBe("is-directory");
        expect(await kindOf(fs.unlink("/"))).toBe("is-directory");
        expect((await fs.stat("/d")).type).toBe("directory");
      });
    });

    describe("rename", () => {
      it("renames a file, within and across directories", async () => {
        await fs.mkdir("/d");
        await writeFile(fs, "/a", "content");
        await fs.rename("/a", "/b");
        expect(await kindOf(fs.stat("/a"))).toBe("not-found");
        await fs.rename("/b", "/d/c c");
        expect((await readFile(fs, "/d/c c")).toString()).toBe("content");
        expect(await listNames(fs, "/")).toEqual(["d"]);
      });

      it("moves a directory with everything in it", async () => {
        await fs.mkdir("/src");
        await fs.mkdir("/src/sub");
        await writeFile(fs, "/src/sub/deep", "deep");
        await writeFile(fs, "/src/top", "top");
        await fs.mkdir("/dst");
        await fs.rename("/src", "/dst/moved");
        expect(await listNames(fs, "/")).toEqual(["dst"]);
        expect(await listNames(fs, "/dst/moved")).toEqual(["sub", "top"]);
        expect((await readFile(fs, "/dst/moved/sub/deep")).toString()).toBe("deep");
      });

      it("replaces an existing file, as rename(2) does", async () => {
        await writeFile(fs, "/a", "new");
        await writeFile(fs, "/b", "old and longer");
        await fs.rename("/a", "/b");
        expect((await readFile(fs, "/b")).toString()).toBe("new");
        expect(await listNames(fs, "/")).toEqual(["b"]);
      });

      it("does nothing when renaming an entry onto itself", async () => {
        await writeFile(fs, "/a", "same");
        await fs.rename("/a", "/a");
        expect((await readFile(fs, "/a")).toString()).toBe("same");
      });

      it("fails with not-found for a missing source or target directory", async () => {
        await writeFile(fs, "/a", "x");
        expect(await kindOf(fs.rename("/missing", "/b"))).toBe("not-found");
        expect(await kindOf(fs.rename("/a", "/missing/b"))).toBe("not-found");
        expect(await listNames(fs, "/")).toEqual(["a"]);
      });

      it("refuses to move a directory into itself, to move the root or to replace it", async () => {
        await fs.mkdir("/d");
        await fs.mkdir("/d/sub");
        await writeFile(fs, "/f", "x");
        expect(await kindOf(fs.rename("/d", "/d/sub/d"))).toBe("invalid-name");
        expect(await kindOf(fs.rename("/", "/x"))).toBe("permission");
        expect(await kindOf(fs.rename("/f", "/"))).toBe("permission");
        expect(await listNames(fs, "/")).toEqual(["d", "f"]);
        expect(await listNames(fs, "/d")).toEqual(["sub"]);
      });

      it("refuses a file onto a directory, and a directory onto a non-empty directory", async () => {
        await fs.mkdir("/d");
        await fs.mkdir("/e");
        await writeFile(fs, "/e/x", "x");
        await writeFile(fs, "/f", "f");
        expect(await kindOf(fs.rename("/f", "/d"))).toBe("is-directory");
        expect(await kindOf(fs.rename("/d", "/e"))).toBe("not-empty");
        expect(await listNames(fs, "/")).toEqual(["d", "e", "f"]);
      });

      when(replaceEmpty)("replaces an empty directory with a directory, as rename(2) does", async () => {
        await fs.mkdir("/d");
        await writeFile(fs, "/d/inside", "x");
        await fs.mkdir("/empty");
        await fs.rename("/d", "/empty");
        expect(await listNames(fs, "/")).toEqual(["empty"]);
        expect(await listNames(fs, "/empty")).toEqual(["inside"]);
      });
    });

    describe("setModifiedTime (MFMT)", () => {
      it("round-trips a file's and a directory's modification time to the second", async () => {
        const mtime = new Date("2001-02-03T04:05:06Z");
        await writeFile(fs, "/f", "x");
        await fs.mkdir("/d");
        await fs.setModifiedTime("/f", mtime);
        await fs.setModifiedTime("/d", mtime);
        expect(Math.floor((await fs.stat("/f")).modifiedAt.getTime() / 1000)).toBe(mtime.getTime() / 1000);
        expect(Math.floor((await fs.stat("/d")).modifiedAt.getTime() / 1000)).toBe(mtime.getTime() / 1000);
        await readFile(fs, "/f"); // reading does not touch it
        expect(Math.floor((await fs.stat("/f")).modifiedAt.getTime() / 1000)).toBe(mtime.getTime() / 1000);
        expect((await readFile(fs, "/f")).toString()).toBe("x");
      });

      it("fails with not-found for a missing entry", async () => {
        expect(await kindOf(fs.setModifiedTime("/missing", new Date()))).toBe("not-found");
      });
    });

    if (chmod)
      describe("chmod (SITE CHMOD)", () => {
        when(chmod)("sets permission bits of a file and a directory", async () => {
          await writeFile(fs, "/f", "x");
          await fs.mkdir("/d");
          await fs.chmod!("/f", 0o640);
          await fs.chmod!("/d", 0o750);
          expect((await fs.stat("/f")).mode! & 0o777).toBe(0o640);
          expect((await fs.stat("/d")).mode! & 0o777).toBe(0o750);
          await fs.chmod!("/f", 0o604);
          expect((await fs.stat("/f")).mode! & 0o777).toBe(0o604);
        });

        when(chmod)("fails with not-found for a missing entry", async () => {
          expect(await kindOf(fs.chmod!("/missing", 0o644))).toBe("not-found");
        });
      });

    if (hash)
      describe("hash (HASH)", () => {
        when(hash).for(HASH_VECTORS)("%s of %j is %s", async ([algorithm, content, digest]) => {
          await writeFile(fs, "/f", content);
          expect(await fs.hash!("/f", algorithm)).toEqual({ digest, size: content.length });
        });

        when(hash)("hashes a file of several read chunks like node:crypto does", async () => {
          const data = randomFillSync(Buffer.alloc(3 * MiB + 7));
          await writeFile(fs, "/big", data);
          expect(await fs.hash!("/big", "SHA-256")).toEqual({
            digest: createHash("sha256").update(data).digest("hex"),
            size: data.length,
          });
        });

        when(hash)("fails with not-found for a missing file and is-directory for a directory", async () => {
          await fs.mkdir("/d");
          expect(await kindOf(fs.hash!("/missing", "MD5"))).toBe("not-found");
          expect(await kindOf(fs.hash!("/d", "MD5"))).toBe("is-directory");
        });
      });

    if (symlinks)
      describe("symlinks", () => {
        when(symlinks)("stat and reads follow a link inside; the listing shows the link and its target", async () => {
          await fs.mkdir("/d");
          await writeFile(fs, "/d/file", "through the link");
          await subject.symlink!("d/file", "/link");
          await subject.symlink!("d", "/dirlink");
          expect(await fs.stat("/link")).toMatchObject({ name: "link", type: "file", size: 16 });
          expect((await readFile(fs, "/link")).toString()).toBe("through the link");
          expect(await listNames(fs, "/dirlink")).toEqual(["file"]);
          const entries = await listAll(fs, "/");
          expect(entries.find((entry) => entry.name === "link")).toMatchObject({ type: "symlink", target: "/d/file" });
        });

        when(symlinks)("unlink and rename act on the link, never on its target", async () => {
          await writeFile(fs, "/target", "keep me");
          await subject.symlink!("target", "/link");
          await fs.rename("/link", "/renamed");
          await fs.unlink("/renamed");
          expect(await listNames(fs, "/")).toEqual(["target"]);
          expect((await readFile(fs, "/target")).toString()).toBe("keep me");
        });

        when(symlinks)("a dangling link is listed but cannot be read", async () => {
          await subject.symlink!("nowhere", "/dangling");
          expect((await listAll(fs, "/"))[0]).toMatchObject({ name: "dangling", type: "symlink" });
          expect(await kindOf(fs.stat("/dangling"))).toBe("not-found");
          expect(await kindOf(fs.createReadStream("/dangling"))).toBe("not-found");
        });
      });

    describe("scale", () => {
      when(largeFileBytes > 0)(
        "streams a large upload and download with bounded memory and identical bytes",
        async () => {
          const size = largeFileBytes;
          const gc = garbageCollector();
          const bound = STREAMING_MEMORY_BOUND + (capability("storesInProcess", false) ? size : 0);
          gc();
          const baseline = process.memoryUsage().rss;
          let peak = 0;
          const sample = () => {
            gc();
            peak = Math.max(peak, process.memoryUsage().rss - baseline);
          };

          const sent = createHash("sha256");
          let produced = 0;
          const source = new Readable({
            read() {
              if (produced >= size) return void this.push(null);
              const chunk = randomFillSync(Buffer.allocUnsafe(Math.min(MiB, size - produced)));
              sent.update(chunk);
              produced += chunk.length;
              if (produced % (8 * MiB) === 0) sample();
              this.push(chunk);
            },
          });
          const target = await fs.openWrite("/large.bin", { mode: "atomic" });
          await pipeline(source, target.stream);
          expect(await target.commit()).toEqual({ size });

          const received = createHash("sha256");
          let read = 0;
          for await (const chunk of await fs.createReadStream("/large.bin")) {
            received.update(chunk as Buffer);
            const before = read;
            read += (chunk as Buffer).length;
            if (Math.floor(read / (8 * MiB)) !== Math.floor(before / (8 * MiB))) sample();
          }
          sample();
          expect(read).toBe(size);
          expect(received.digest("hex")).toBe(sent.digest("hex"));
          expect(peak).toBeLessThan(bound);
        },
        60_000,
      );

      when(manyEntries > 0)(
        "lists a directory of many entries, each exactly once",
        async () => {
          const count = manyEntries;
          await fs.mkdir("/many");
          const names = Array.from({ length: count }, (_, i) => `entry-${String(i).padStart(6, "0")}`);
          if (subject.populate) await subject.populate("/many", names);
          else {
            for (let i = 0; i < names.length; i += 64) {
              await Promise.all(names.slice(i, i + 64).map((entryName) => fs.mkdir(`/many/${entryName}`)));
            }
          }
          await writeFile(fs, "/many/a-file", "x");
          const seen = new Set<string>();
          const duplicates: string[] = [];
          for await (const entry of fs.list("/many")) {
            if (seen.has(entry.name)) duplicates.push(entry.name);
            seen.add(entry.name);
          }
          // One assertion each, not 10,000: an `expect` per entry would cost more than the listing.
          expect(duplicates).toEqual([]);
          expect(names.filter((entryName) => !seen.has(entryName))).toEqual([]);
          expect(seen.size).toBe(count + 1);
          // listNames (NLST), where a back-end has it, names exactly the entries list() gives.
          if (fs.listNames !== undefined) {
            const named: string[] = [];
            for await (const entryName of fs.listNames("/many")) named.push(entryName);
            expect(named.sort(byCodeUnit)).toEqual([...seen].sort(byCodeUnit));
          }
        },
        60_000,
      );
    });
  });
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
