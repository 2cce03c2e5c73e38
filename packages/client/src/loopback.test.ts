/**
 * Loopback: @ftpkit/client against the real @ftpkit/server over 127.0.0.1 (DESIGN.md testing
 * layer 3), on a MemoryFileSystem and on a LocalFileSystem in a temp dir, in passive and
 * active mode. Tests may use both packages; the client's sources never import the server.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
// biome-ignore lint/style/noRestrictedImports: a test may use the server (DESIGN.md "Testing, layer by layer" 3).
import { type FileSystem, FtpServer, LocalFileSystem, MemoryFileSystem } from "@ftpkit/server";
import { describe, expect, it } from "vitest";
import { collector, FAST, onCleanup, random, sha256, tempDir } from "./__tests__/helpers.js";
import { Client } from "./client.js";
import type { ConnectOptions } from "./options.js";
import { Pool } from "./pool.js";

async function startServer(fs: FileSystem, limits: Partial<{ idleTimeout: number }> = {}) {
  const server = new FtpServer({
    host: "127.0.0.1",
    port: 0,
    authenticate: ({ user, password }) => (user === "alice" && password === "secret" ? { fs } : null),
    limits: { failedLoginDelay: 0, ...limits },
  });
  const { port } = await server.listen();
  onCleanup(() => server.close());
  return { server, port };
}

async function connectTo(port: number, options: Partial<ConnectOptions> = {}): Promise<Client> {
  const client = await Client.connect({
    host: "127.0.0.1",
    port,
    user: "alice",
    password: "secret",
    ...FAST,
    ...options,
  });
  onCleanup(() => client.close());
  return client;
}

const big = random(3 * 1024 * 1024 + 123);

describe.each([
  ["MemoryFileSystem", async () => new MemoryFileSystem()],
  ["LocalFileSystem", async () => new LocalFileSystem(await tempDir())],
] as const)("client <-> @ftpkit/server on a %s", (_name, makeFs) => {
  it.each(["passive", "active"] as const)("moves a multi-MiB file both ways in %s mode", async (mode) => {
    const { port } = await startServer(await makeFs());
    const client = await connectTo(port, { mode });
    await client.upload(big, "big.bin");
    expect(await client.size("big.bin")).toBe(big.length);
    const sink = collector();
    await client.download("big.bin", sink);
    expect(sha256(sink.data())).toBe(sha256(big));
    const local = await tempDir();
    await client.download("big.bin", path.join(local, "big.bin"));
    expect(sha256(await readFile(path.join(local, "big.bin")))).toBe(sha256(big));
  });

  it("lists with MLSD, keeps names with spaces, dashes and UTF-8", async () => {
    const { port } = await startServer(await makeFs());
    const client = await connectTo(port);
    expect((await client.features()).has("MLST")).toBe(true);
    for (const name of ["a b.txt", "-x", "ünï 文件"]) await client.upload(Buffer.from(name), name);
    await client.mkdir("sub dir");
    const entries = await client.list();
    expect(entries.map((e) => [e.name, e.type]).sort()).toEqual([
      ["-x", "file"],
      ["a b.txt", "file"],
      ["sub dir", "directory"],
      ["ünï 文件", "file"],
    ]);
    expect(entries.every((e) => e.raw.length > 0 && e.name !== "." && e.name !== "..")).toBe(true);
    const back = collector();
    await client.download("ünï 文件", back);
    expect(back.data().toString()).toBe("ünï 文件");
  });

  it("resumes both ways: REST+RETR, REST+STOR, APPE", async () => {
    const { port } = await startServer(await makeFs());
    const client = await connectTo(port);
    await client.upload(big.subarray(0, 1_000_000), "r.bin");
    // A bytes (or path) source is read from the offset too: the same file on both sides.
    await client.upload(big, "r.bin", { offset: 1_000_000 });
    const local = await tempDir();
    await writeFile(path.join(local, "r.bin"), big.subarray(0, 2_000_000));
    await client.download("r.bin", path.join(local, "r.bin"), { offset: 2_000_000 });
    expect(sha256(await readFile(path.join(local, "r.bin")))).toBe(sha256(big));
    await client.upload(Buffer.from("++"), "r.bin", { append: true });
    expect(await client.size("r.bin")).toBe(big.length + 2);
  });

  it("does the single-path operations", async () => {
    const { port } = await startServer(await makeFs());
    const client = await connectTo(port);
    await client.mkdir("a/b/c", { recursive: true });
    await client.mkdir("a/b/c", { recursive: true });
    expect(await client.cd("a/b")).toBe("/a/b");
    await client.upload(Buffer.from("hello"), "h.txt");
    await client.rename("h.txt", "/a/g.txt");
    expect(await client.size("/a/g.txt")).toBe(5);
    const when = new Date(Date.UTC(2011, 10, 12, 13, 14, 15));
    await client.setLastModified("/a/g.txt", when);
    expect(await client.lastModified("/a/g.txt")).toEqual(when);
    await client.remove("/a/g.txt");
    await expect(client.size("/a/g.txt")).rejects.toMatchObject({ code: 550 });
    await client.cd("/");
    await client.rmdir("a", { recursive: true });
    expect(await client.list()).toEqual([]);
    expect(await client.send("NOOP")).toMatchObject({ code: 200 });
  });

  it("aborts a transfer and goes on with the same connection", async () => {
    const { port } = await startServer(await makeFs());
    const client = await connectTo(port);
    await client.upload(big, "big.bin");
    const controller = new AbortController();
    const reason = new Error("stop");
    const slow = new Writable({
      highWaterMark: 1024,
      write(_chunk, _e, callback) {
        setTimeout(callback, 20);
      },
    });
    const download = client.download("big.bin", slow, {
      signal: controller.signal,
      onProgress: () => controller.abort(reason),
    });
    await expect(download).rejects.toBe(reason);
    expect(await client.size("big.bin")).toBe(big.length);
    const sink = collector();
    await client.download("big.bin", sink);
    expect(sha256(sink.data())).toBe(sha256(big));
  });

  it("transfers trees: uploadDir, downloadDir, mirror (also in parallel)", async () => {
    const { port } = await startServer(await makeFs());
    const client = await connectTo(port);
    const src = await tempDir();
    await mkdir(path.join(src, "d/e"), { recursive: true });
    await writeFile(path.join(src, "top.txt"), "top");
    await writeFile(path.join(src, "d/mid.bin"), big.subarray(0, 500_000));
    await writeFile(path.join(src, "d/e/low.txt"), "low");
    const up = await client.uploadDir(src, "/tree", { parallel: 2 });
    expect(up.files).toEqual(["d/e/low.txt", "d/mid.bin", "top.txt"]);
    const dst = await tempDir();
    const down = await client.downloadDir("/tree", dst);
    expect(down.files).toEqual(up.files);
    expect(sha256(await readFile(path.join(dst, "d/mid.bin")))).toBe(sha256(big.subarray(0, 500_000)));
    const mirror = await client.mirror("/tree", dst, { direction: "download" });
    expect(mirror.actions).toEqual([]);
    await writeFile(path.join(src, "d/e/low.txt"), "lower");
    const pushed = await client.mirror("/tree", src, { direction: "upload", delete: true, parallel: 3 });
    expect(pushed.actions.map((a) => `${a.action} ${a.path}`)).toEqual(["transfer d/e/low.txt"]);
    expect((await client.mirror("/tree", src, { direction: "upload", delete: true })).actions).toEqual([]);
  });

  it("spreads a pool over several connections", async () => {
    const { server, port } = await startServer(await makeFs());
    let sessions = 0;
    server.on("connect", () => sessions++);
    const pool = new Pool({ host: "127.0.0.1", port, user: "alice", password: "secret", size: 4, ...FAST });
    onCleanup(() => pool.close());
    await Promise.all(Array.from({ length: 8 }, (_, i) => pool.upload(big.subarray(0, 200_000 + i), `p${i}.bin`)));
    const sizes = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.size(`p${i}.bin`)));
    expect(sizes).toEqual(Array.from({ length: 8 }, (_, i) => 200_000 + i));
    expect(sessions).toBe(4);
  });
});

describe("client <-> @ftpkit/server: the server's idle timeout", () => {
  it("gets the server's 421 while idle and reconnects on the next call, back in its directory", async () => {
    const { port } = await startServer(new MemoryFileSystem({ "/d/f": "x" }), { idleTimeout: 150 });
    const client = await connectTo(port);
    await client.cd("/d");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await client.pwd()).toBe("/d");
    expect(await client.size("f")).toBe(1);
  });

  it("keeps the connection with NOOP keep-alive", async () => {
    const { server, port } = await startServer(new MemoryFileSystem(), { idleTimeout: 200 });
    let sessions = 0;
    server.on("connect", () => sessions++);
    const client = await connectTo(port, { keepAlive: 60 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await client.pwd()).toBe("/");
    expect(sessions).toBe(1);
  });
});
