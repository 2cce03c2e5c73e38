import { describe, expect, it } from "vitest";
import { describeFileSystemConformance } from "../testing/file-system-conformance.js";
import { kindOf, listNames, readAll, readFile, writeChunk, writeFile } from "../testing/file-system-helpers.js";
import { FileSystemError } from "./file-system-error.js";
import { MemoryFileSystem } from "./memory-file-system.js";

describe("MemoryFileSystem specifics", () => {
  it("seeds files (UTF-8 strings, bytes), directories and missing parents", async () => {
    const fs = new MemoryFileSystem({
      "/readme.txt": "héllo",
      "/bin/blob": new Uint8Array([1, 2, 3]),
      "/pub/": null,
      "/deep/a/b/c.txt": "c",
    });
    expect(await listNames(fs, "/")).toEqual(["bin", "deep", "pub", "readme.txt"]);
    expect((await fs.stat("/readme.txt")).size).toBe(6);
    expect(await readFile(fs, "/bin/blob")).toEqual(Buffer.from([1, 2, 3]));
    expect((await fs.stat("/pub")).type).toBe("directory");
    expect((await fs.stat("/deep/a/b")).type).toBe("directory");
    expect(fs.usedBytes).toBe(6 + 3 + 1);
  });

  it("refuses a seed that contradicts itself", () => {
    expect(() => new MemoryFileSystem({ "/a": "x", "/a/b": "y" })).toThrow(FileSystemError);
    expect(() => new MemoryFileSystem({ "/a/": "x" })).toThrow(FileSystemError);
    expect(() => new MemoryFileSystem({ "/a": "x" }, { maxBytes: 0 })).toThrow(/maxBytes/);
  });

  it("takes modification times from the injected clock", async () => {
    let now = new Date("2020-01-02T03:04:05Z");
    const fs = new MemoryFileSystem({}, { now: () => now });
    await writeFile(fs, "/f", "x");
    expect((await fs.stat("/f")).modifiedAt.toISOString()).toBe("2020-01-02T03:04:05.000Z");
    now = new Date("2021-01-01T00:00:00Z");
    await fs.mkdir("/d");
    expect((await fs.stat("/")).modifiedAt.toISOString()).toBe("2021-01-01T00:00:00.000Z");
  });

  describe("maxBytes (simulated ENOSPC)", () => {
    it("fails the stream and the commit with no-space; an atomic upload leaves the old file and frees its bytes", async () => {
      const fs = new MemoryFileSystem({ "/f": "old" }, { maxBytes: 10 });
      const target = await fs.openWrite("/f", { mode: "atomic" });
      await writeChunk(target.stream, "12345");
      await expect(writeChunk(target.stream, "678901")).rejects.toMatchObject({ kind: "no-space" });
      expect(await kindOf(target.commit())).toBe("no-space");
      expect(await readFile(fs, "/f")).toEqual(Buffer.from("old"));
      expect(fs.usedBytes).toBe(3);
    });

    it("keeps what fitted in standard mode and counts unlink, overwrite and rename-over", async () => {
      const fs = new MemoryFileSystem({}, { maxBytes: 8 });
      const target = await fs.openWrite("/f", { mode: "standard" });
      await writeChunk(target.stream, "abcde");
      await expect(writeChunk(target.stream, "fghij")).rejects.toMatchObject({ kind: "no-space" });
      await target.abort();
      expect(await readFile(fs, "/f")).toEqual(Buffer.from("abcde"));
      expect(fs.usedBytes).toBe(5);
      await writeFile(fs, "/g", "123");
      expect(fs.usedBytes).toBe(8);
      await fs.rename("/g", "/f");
      expect(fs.usedBytes).toBe(3);
      await writeFile(fs, "/f", "1");
      expect(fs.usedBytes).toBe(1);
      await fs.unlink("/f");
      expect(fs.usedBytes).toBe(0);
    });

    it("counts the copy an atomic resume makes, as a disk would", async () => {
      const fs = new MemoryFileSystem({ "/f": "12345" }, { maxBytes: 9 });
      expect(await kindOf(fs.openWrite("/f", { mode: "atomic", append: true }))).toBe("no-space");
      expect(fs.usedBytes).toBe(5);
      const roomy = new MemoryFileSystem({ "/f": "12345" }, { maxBytes: 11 });
      const target = await roomy.openWrite("/f", { mode: "atomic", append: true });
      expect(roomy.usedBytes).toBe(10);
      await writeChunk(target.stream, "6");
      expect(await target.commit()).toEqual({ size: 6 });
      expect(roomy.usedBytes).toBe(6);
    });
  });

  it("lets a read stream see in-place writes but keep the old content across an atomic replace", async () => {
    const fs = new MemoryFileSystem({ "/f": "aaaa" });
    const before = await fs.createReadStream("/f");
    await writeFile(fs, "/f", "bbbbbbbb", { mode: "atomic" });
    expect(await readAll(before)).toEqual(Buffer.from("aaaa"));
    const during = await fs.createReadStream("/f");
    await writeFile(fs, "/f", "cc", { mode: "standard", start: 0 });
    expect(await readAll(during)).toEqual(Buffer.from("cc"));
  });

  it("accepts a REST far past the end without allocating the hole", async () => {
    const fs = new MemoryFileSystem();
    await writeFile(fs, "/sparse", "x", { mode: "standard", start: 2 ** 40 });
    expect((await fs.stat("/sparse")).size).toBe(2 ** 40 + 1);
    expect(await readFile(fs, "/sparse", 2 ** 40 - 1)).toEqual(Buffer.from([0, 0x78]));
  });

  describe("write target contract", () => {
    it("commit ends the stream itself, and a second commit shares the outcome", async () => {
      const fs = new MemoryFileSystem();
      const target = await fs.openWrite("/f", { mode: "atomic" });
      target.stream.write("abc");
      const first = target.commit();
      expect(target.commit()).toBe(first);
      expect(await first).toEqual({ size: 3 });
      await target.abort(); // no-op after commit
      expect(await readFile(fs, "/f")).toEqual(Buffer.from("abc"));
    });

    it("a commit after abort rejects and publishes nothing", async () => {
      const fs = new MemoryFileSystem();
      const target = await fs.openWrite("/f", { mode: "atomic" });
      await writeChunk(target.stream, "abc");
      await target.abort();
      expect(await kindOf(target.commit())).toBe("io");
      expect(await kindOf(fs.stat("/f"))).toBe("not-found");
    });

    it("a stream destroyed with an error makes commit reject with that error and abort per mode", async () => {
      const fs = new MemoryFileSystem({ "/f": "old" });
      const target = await fs.openWrite("/f", { mode: "atomic" });
      await writeChunk(target.stream, "new");
      target.stream.destroy(new FileSystemError("busy", "simulated"));
      await new Promise((resolve) => target.stream.once("close", resolve));
      expect(await kindOf(target.commit())).toBe("busy");
      expect(await readFile(fs, "/f")).toEqual(Buffer.from("old"));
    });

    it("an error on the stream with no listener of the caller does not crash the process", async () => {
      const fs = new MemoryFileSystem({}, { maxBytes: 1 });
      const target = await fs.openWrite("/f", { mode: "standard" });
      target.stream.write("too much");
      expect(await kindOf(target.commit())).toBe("no-space");
    });
  });

  it("an atomic-resume upload whose directory vanished is dropped on abort, and the bytes are freed", async () => {
    const fs = new MemoryFileSystem({ "/d/": null });
    const target = await fs.openWrite("/d/f", { mode: "atomic-resume" });
    await writeChunk(target.stream, "partial");
    await fs.rmdir("/d");
    await target.abort();
    expect(fs.usedBytes).toBe(0);
    expect(await kindOf(fs.stat("/d/f"))).toBe("not-found");
  });
});

describeFileSystemConformance("MemoryFileSystem", async () => ({
  // A small chunk size so that every test also crosses chunk boundaries.
  fs: new MemoryFileSystem({}, { chunkSize: 4096 }),
  cleanup: async () => {},
  capabilities: { storesInProcess: true },
}));
