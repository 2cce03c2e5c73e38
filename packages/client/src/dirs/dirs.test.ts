/**
 * Tree operations: the pure mirror plan, then downloadDir / uploadDir / mirror against the
 * fault server, on one client and in parallel over a pool.
 */
import diagnostics from "node:diagnostics_channel";
import { mkdir, readFile, stat, symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { connect, faultServer, onCleanup, random, sha256, tempDir } from "../__tests__/helpers.js";
import { Pool } from "../pool.js";
import { changed, planMirror, type TreeEntry } from "./mirror.js";

const file = (size: number, time: number, precision = 1): TreeEntry => ({
  type: "file",
  size,
  modifiedAt: new Date(time),
  precision,
});
const dir: TreeEntry = { type: "directory", size: undefined, modifiedAt: undefined, precision: 1 };

describe("planMirror", () => {
  it("creates what is missing, transfers what changed, leaves the rest", () => {
    const source = new Map([
      ["a", dir],
      ["a/new.txt", file(1, 1000)],
      ["a/same.txt", file(2, 1000)],
      ["a/bigger.txt", file(3, 1000)],
      ["a/newer.txt", file(4, 5000)],
    ]);
    const target = new Map([
      ["a", dir],
      ["a/same.txt", file(2, 1000)],
      ["a/bigger.txt", file(2, 1000)],
      ["a/newer.txt", file(4, 1000)],
      ["a/extra.txt", file(1, 1)],
    ]);
    expect(planMirror(source, target, { delete: false, compare: "size+mtime" }).actions).toEqual([
      { action: "transfer", path: "a/new.txt", type: "file", reason: "missing" },
      { action: "transfer", path: "a/bigger.txt", type: "file", reason: "size" },
      { action: "transfer", path: "a/newer.txt", type: "file", reason: "mtime" },
    ]);
    expect(planMirror(source, target, { delete: false, compare: "size" }).actions.map((a) => a.path)).toEqual([
      "a/new.txt",
      "a/bigger.txt",
    ]);
    expect(planMirror(source, target, { delete: false, compare: "mtime" }).actions.map((a) => a.path)).toEqual([
      "a/new.txt",
      "a/newer.txt",
    ]);
    expect(planMirror(source, target, { delete: true, compare: "size" }).actions.at(-1)).toEqual({
      action: "delete",
      path: "a/extra.txt",
      type: "file",
      reason: "extra",
    });
  });

  it("deletes an extra directory once (not its children), creates missing directories before their files", () => {
    const source = new Map([
      ["n", dir],
      ["n/f", file(1, 0)],
    ]);
    const target = new Map([
      ["old", dir],
      ["old/f", file(1, 0)],
      ["old/sub", dir],
    ]);
    expect(planMirror(source, target, { delete: true, compare: "size" }).actions).toEqual([
      { action: "mkdir", path: "n", type: "directory", reason: "missing" },
      { action: "transfer", path: "n/f", type: "file", reason: "missing" },
      { action: "delete", path: "old", type: "directory", reason: "extra" },
    ]);
  });

  it("replaces a file by a directory only with delete, else reports the conflict", () => {
    const source = new Map([
      ["x", dir],
      ["x/f", file(1, 0)],
    ]);
    const target = new Map([["x", file(9, 0)]]);
    expect(planMirror(source, target, { delete: false, compare: "size" })).toEqual({
      actions: [{ action: "transfer", path: "x/f", type: "file", reason: "missing" }],
      conflicts: ["x"],
    });
    expect(planMirror(source, target, { delete: true, compare: "size" }).actions).toEqual([
      { action: "delete", path: "x", type: "file", reason: "type" },
      { action: "mkdir", path: "x", type: "directory", reason: "type" },
      { action: "transfer", path: "x/f", type: "file", reason: "missing" },
    ]);
  });

  it("compares times at the coarser precision of the two sides", () => {
    const minute = 60_000;
    const listed = file(1, 10 * minute, minute);
    expect(changed(file(1, 10 * minute + 59_000), listed, "mtime")).toBeUndefined();
    expect(changed(file(1, 11 * minute), listed, "mtime")).toBe("mtime");
    expect(changed(file(1, 9 * minute), listed, "mtime")).toBeUndefined();
    expect(changed({ ...listed, modifiedAt: undefined }, listed, "mtime")).toBe("mtime");
    expect(changed({ ...listed, size: undefined }, listed, "size")).toBe("size");
  });
});

async function localTree(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
}

const big = random(300_000);
const REMOTE = {
  "/tree/a.txt": "alpha",
  "/tree/-dash name.bin": big,
  "/tree/sub/b.txt": "beta",
  "/tree/sub/deeper/c.txt": "gamma",
  "/tree/empty/": "",
};

describe.each([
  ["a client", 1],
  ["a client with parallel: 3 (temporary pool)", 3],
])("directory transfers on %s", (_name, parallel) => {
  it("downloads a remote tree", async () => {
    const server = await faultServer({ files: REMOTE });
    const client = await connect(server);
    const local = await tempDir();
    const result = await client.downloadDir("/tree", local, { parallel });
    expect(result.files).toEqual(["-dash name.bin", "a.txt", "sub/b.txt", "sub/deeper/c.txt"]);
    expect(result.directories).toEqual(["empty", "sub", "sub/deeper"]);
    expect(result.bytes).toBe(big.length + 5 + 4 + 5);
    expect(sha256(await readFile(path.join(local, "-dash name.bin")))).toBe(sha256(big));
    expect(await readFile(path.join(local, "sub/deeper/c.txt"), "utf8")).toBe("gamma");
    expect((await stat(path.join(local, "empty"))).isDirectory()).toBe(true);
    expect(server.connections).toBe(parallel === 1 ? 1 : 1 + parallel);
  });

  it("uploads a local tree, skipping symbolic links", async () => {
    const server = await faultServer();
    const client = await connect(server);
    const local = await tempDir();
    await localTree(local, { "x.txt": "x", "d/y.txt": "y", "d/e/z.bin": big });
    await mkdir(path.join(local, "void"));
    await symlink(path.join(local, "x.txt"), path.join(local, "link"));
    const result = await client.uploadDir(local, "/up/load", { parallel });
    expect(result.files).toEqual(["d/e/z.bin", "d/y.txt", "x.txt"]);
    expect(result.skipped).toEqual(["link"]);
    expect(sha256(server.files.get("/up/load/d/e/z.bin")?.data ?? Buffer.alloc(0))).toBe(sha256(big));
    expect(server.dirs.has("/up/load/void")).toBe(true);
  });

  it("mirrors remote to local: only what changed, deletions when asked, dry runs change nothing", async () => {
    const server = await faultServer({ files: REMOTE });
    const client = await connect(server);
    const local = await tempDir();
    const first = await client.mirror("/tree", local, { direction: "download", parallel });
    expect(first.actions.filter((a) => a.action === "transfer")).toHaveLength(4);
    const again = await client.mirror("/tree", local, { direction: "download", parallel });
    expect(again.actions).toEqual([]);
    // A local extra, a changed remote file, a removed remote file.
    await writeFile(path.join(local, "extra.txt"), "x");
    server.files.set("/tree/a.txt", { data: Buffer.from("ALPHA!"), mtime: new Date() });
    server.files.delete("/tree/sub/b.txt");
    const dry = await client.mirror("/tree", local, { direction: "download", delete: true, dryRun: true, parallel });
    expect(dry.actions).toEqual([
      { action: "transfer", path: "a.txt", type: "file", reason: "size" },
      { action: "delete", path: "extra.txt", type: "file", reason: "extra" },
      { action: "delete", path: "sub/b.txt", type: "file", reason: "extra" },
    ]);
    expect(await readFile(path.join(local, "a.txt"), "utf8")).toBe("alpha");
    const done = await client.mirror("/tree", local, { direction: "download", delete: true, parallel });
    expect(done.actions).toEqual(dry.actions);
    expect(await readFile(path.join(local, "a.txt"), "utf8")).toBe("ALPHA!");
    await expect(stat(path.join(local, "extra.txt"))).rejects.toMatchObject({ code: "ENOENT" });
    expect((await client.mirror("/tree", local, { direction: "download", delete: true, parallel })).actions).toEqual(
      [],
    );
  });

  it("mirrors local to remote, setting remote times so nothing is sent twice", async () => {
    const server = await faultServer();
    const client = await connect(server);
    const local = await tempDir();
    await localTree(local, { "k.txt": "k", "m/n.txt": "n" });
    await utimes(path.join(local, "k.txt"), new Date(), new Date(Date.UTC(2020, 5, 6, 7, 8, 9)));
    const first = await client.mirror("/dst", local, { direction: "upload", compare: "mtime", parallel });
    expect(first.actions.map((a) => `${a.action} ${a.path}`)).toEqual([
      "transfer k.txt",
      "mkdir m",
      "transfer m/n.txt",
    ]);
    expect(server.files.get("/dst/k.txt")?.mtime).toEqual(new Date(Date.UTC(2020, 5, 6, 7, 8, 9)));
    expect((await client.mirror("/dst", local, { direction: "upload", compare: "mtime", parallel })).actions).toEqual(
      [],
    );
    await writeFile(path.join(local, "k.txt"), "k2");
    await utimes(path.join(local, "k.txt"), new Date(), new Date(Date.UTC(2021, 0, 1)));
    server.files.set("/dst/stale.txt", { data: Buffer.from("s"), mtime: new Date() });
    const next = await client.mirror("/dst", local, { direction: "upload", delete: true, parallel });
    expect(next.actions.map((a) => `${a.action} ${a.path} ${a.reason}`)).toEqual([
      "transfer k.txt size",
      "delete stale.txt extra",
    ]);
    expect(server.files.get("/dst/k.txt")?.data.toString()).toBe("k2");
    expect(server.files.has("/dst/stale.txt")).toBe(false);
  });
});

describe("Pool", () => {
  it("spreads calls over up to `size` connections and runs them in parallel", async () => {
    let running = 0;
    let mostAtOnce = 0;
    const server = await faultServer({
      files: { "/f": big },
      script: {
        RETR: async (ctx) => {
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          try {
            await ctx.delay(40);
            await ctx.defaultHandler();
          } finally {
            running--;
          }
        },
      },
    });
    const pool = new Pool({
      host: server.host,
      port: server.port,
      user: "u",
      password: "p",
      size: 3,
      keepAlive: false,
    });
    onCleanup(() => pool.close());
    const sinks = Array.from({ length: 6 }, () => pool.createReadStream("/f"));
    const hashes = await Promise.all(
      sinks.map(async (stream) => {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        return sha256(Buffer.concat(chunks));
      }),
    );
    expect(new Set(hashes)).toEqual(new Set([sha256(big)]));
    expect(server.connections).toBe(3);
    // Six transfers on three connections: three at a time (in parallel), never more.
    expect(mostAtOnce).toBe(3);
    expect(pool.capacity).toBe(3);
  });

  it("has the client's methods; cd sets the pool's directory for every connection", async () => {
    const server = await faultServer({ files: { "/d/x.txt": "xx" } });
    const pool = new Pool(server.url, { size: 2, keepAlive: false });
    onCleanup(() => pool.close());
    expect(await pool.pwd()).toBe("/");
    expect(await pool.cd("d")).toBe("/d");
    const [size, list, when] = await Promise.all([pool.size("x.txt"), pool.list(), pool.lastModified("x.txt")]);
    expect(size).toBe(2);
    expect(list.map((e) => e.name)).toEqual(["x.txt"]);
    expect(when).toBeInstanceOf(Date);
    await pool.upload(Buffer.from("yy"), "y.txt");
    await pool.mkdir("m/n", { recursive: true });
    await pool.rename("y.txt", "z.txt");
    await pool.setLastModified("z.txt", new Date(0));
    expect(server.files.get("/d/z.txt")?.mtime).toEqual(new Date(0));
    await pool.remove("z.txt");
    await pool.rmdir("m", { recursive: true });
    expect((await pool.features()).has("MLST")).toBe(true);
    expect(await pool.send("NOOP")).toMatchObject({ code: 200 });
    const local = await tempDir();
    await pool.download("x.txt", path.join(local, "x.txt"));
    expect(await readFile(path.join(local, "x.txt"), "utf8")).toBe("xx");
    const dirResult = await pool.downloadDir(".", path.join(local, "tree"));
    expect(dirResult.files).toEqual(["x.txt"]);
    expect([...server.dirs].sort()).toEqual(["/", "/d"]);
    await pool.close();
    await expect(pool.pwd()).rejects.toMatchObject({ code: "FTP_ERR_CLIENT_CLOSED" });
  });

  it("uploadDir opens its connections up front and spreads the files over all of them, directories made once", async () => {
    const server = await faultServer();
    const local = await tempDir();
    const files: Record<string, string> = {};
    for (let d = 0; d < 3; d++) for (let f = 0; f < 8; f++) files[`d${d}/f${f}.txt`] = `${d}-${f}`;
    await localTree(local, files);
    const storsByConnection = new Map<number, number>();
    const onCommand = (message: unknown) => {
      const { connectionId, command } = message as { connectionId: number; command: string };
      if (command.startsWith("STOR "))
        storsByConnection.set(connectionId, (storsByConnection.get(connectionId) ?? 0) + 1);
    };
    diagnostics.subscribe("ftp:client:command", onCommand);
    onCleanup(() => {
      diagnostics.unsubscribe("ftp:client:command", onCommand);
    });
    const pool = new Pool(server.url, { size: 4, keepAlive: false });
    onCleanup(() => pool.close());
    const result = await pool.uploadDir(local, "/up");
    expect(result.files).toHaveLength(24);
    for (const [name, content] of Object.entries(files)) {
      expect(server.files.get(`/up/${name}`)?.data.toString()).toBe(content);
    }
    expect(server.connections).toBe(4);
    expect([...storsByConnection.values()].reduce((a, b) => a + b, 0)).toBe(24);
    expect(storsByConnection.size).toBe(4);
    // One PWD per login, none to resolve the target; one MKD per directory.
    expect(server.sent("PWD")).toHaveLength(4);
    expect(server.sent("MKD").sort()).toEqual(["MKD /up", "MKD /up/d0", "MKD /up/d1", "MKD /up/d2"]);
  });

  it("uploadDir opens no more connections than there are files", async () => {
    const server = await faultServer();
    const local = await tempDir();
    await localTree(local, { "a.txt": "a", "b/c.txt": "c" });
    const pool = new Pool(server.url, { size: 8, keepAlive: false });
    onCleanup(() => pool.close());
    expect((await pool.uploadDir(local, "/up")).files).toEqual(["a.txt", "b/c.txt"]);
    expect(server.connections).toBe(2);
  });

  it("refuses a bad size", () => {
    expect(() => new Pool({ host: "h", size: 0 })).toThrow(TypeError);
  });
});
