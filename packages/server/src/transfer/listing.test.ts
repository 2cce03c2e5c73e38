import { link, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EntryInfo, formatListingEntry } from "@ftpkit/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { startServer } from "../__tests__/harness.js";
import { LocalFileSystem, MemoryFileSystem } from "../fs/index.js";

/** A MemoryFileSystem that can list names alone, and counts what NLST asks of it. */
class CountingFileSystem extends MemoryFileSystem {
  listCalls = 0;
  readonly statted: string[] = [];

  override stat(path: string): Promise<EntryInfo> {
    this.statted.push(path);
    return super.stat(path);
  }

  override list(path: string): AsyncIterable<EntryInfo> {
    this.listCalls++;
    return super.list(path);
  }

  async *listNames(path: string): AsyncIterable<string> {
    // super.list, not this.list: the names come without counting as a listing with status.
    for await (const entry of super.list(path)) yield entry.name;
  }
}

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

/** A host directory `/many` of `count` entries (hard links to one file), a subdirectory, a dot file and a symlink. */
async function bigDirectory(count: number): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ftpkit-listing-"));
  roots.push(root);
  const many = join(root, "many");
  await mkdir(many);
  const seed = join(root, "seed");
  await writeFile(seed, "0123456789");
  for (let i = 0; i < count; i += 64) {
    const names = Array.from({ length: Math.min(64, count - i) }, (_, j) => `f${String(i + j).padStart(5, "0")}`);
    await Promise.all(names.map((name) => link(seed, join(many, name))));
  }
  await mkdir(join(many, "sub"));
  await writeFile(join(many, ".hidden"), "x");
  await symlink("f00000", join(many, "link"));
  return root;
}

const lines = (text: string) => text.split("\r\n").filter((line) => line !== "");

describe("NLST (RFC 959 §4.1.3: names only)", () => {
  it("reads listNames() when the file system has it: no list(), no stat per entry", async () => {
    const fs = new CountingFileSystem({ "/d/a.txt": "1", "/d/b.txt": "22", "/d/sub/": null, "/d/.dot": "x" });
    const t = await startServer({ fs });
    const c = await t.login();
    const before = fs.statted.length;
    expect(lines(await c.list("NLST", "/d")).sort()).toEqual(["a.txt", "b.txt", "sub"]);
    expect(fs.listCalls).toBe(0);
    // Nothing is stat-ed, not even the directory: its listing is opened straight away.
    expect(fs.statted.slice(before)).toEqual([]);
    // NLST of a file still names that file (stat-ed once its listing said not-directory).
    expect(await c.list("NLST", "/d/a.txt")).toBe("a.txt\r\n");
    expect(fs.statted.slice(before)).toEqual(["/d/a.txt"]);
    // LIST still reads the entries with their status; a missing path is 550 before any 150.
    expect(lines(await c.list("LIST", "/d"))).toHaveLength(3);
    expect(fs.listCalls).toBe(1);
    await c.epsv();
    await c.expect("NLST", "/missing", 550);
  });

  it("gives the names LocalFileSystem.list() gives, dot files only with -a", async () => {
    const root = await bigDirectory(300);
    const fs = new LocalFileSystem(root);
    const t = await startServer({ fs });
    const c = await t.login();
    const names = lines(await c.list("NLST", "/many"));
    const fromList: string[] = [];
    for await (const entry of fs.list("/many")) if (!entry.name.startsWith(".")) fromList.push(entry.name);
    expect(names).toHaveLength(302);
    expect([...names].sort()).toEqual(fromList.sort());
    expect(names).toContain("link");
    expect(lines(await c.list("NLST", "-a /many"))).toContain(".hidden");
  });
});

describe("LIST and MLSD of a large LocalFileSystem directory (batched output)", () => {
  it("sends exactly the lines formatted from list(), in batches, synchronously or on the thread pool", async () => {
    const root = await bigDirectory(1000);
    const expected = [];
    const reference = new LocalFileSystem(root, { listSyncBudgetMs: 0 });
    for await (const entry of reference.list("/many")) {
      if (!entry.name.startsWith(".")) expected.push(formatListingEntry(entry, new Date()));
    }
    expect(expected).toHaveLength(1002);
    const outputs: { list: string[]; mlsd: string[] }[] = [];
    for (const budget of [undefined, 0]) {
      const t = await startServer({ fs: new LocalFileSystem(root, { listSyncBudgetMs: budget }) });
      const c = await t.login();
      const list = lines(await c.list("LIST", "/many"));
      expect(list.sort()).toEqual([...expected].sort());
      outputs.push({ list, mlsd: lines(await c.list("MLSD", "/many")).sort() });
    }
    expect(outputs[0]?.mlsd).toHaveLength(1003);
    expect(outputs[0]?.mlsd).toEqual(outputs[1]?.mlsd);
    expect(outputs[0]?.mlsd.find((line) => line.endsWith(" link"))).toMatch(/^type=OS\.unix=slink:\/many\/f00000;/);
  });
});
