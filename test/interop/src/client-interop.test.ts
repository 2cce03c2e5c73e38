/**
 * @ftpkit/client against real FTP servers we did not write: vsftpd, pure-ftpd, ProFTPD and
 * pyftpdlib, each started by the harness (peers.ts) on loopback with a throwaway login and
 * a temp root. Every check runs against every server; where a server lacks a feature the
 * test asserts the client's fallback (vsftpd has no MLSD: list uses LIST) instead of
 * skipping.
 *
 * The checks are named `<server> > <check>` so the vitest report is the interop matrix.
 */
import { createHash, randomBytes } from "node:crypto";
import diagnosticsChannel from "node:diagnostics_channel";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { Client, type ConnectOptions, type FtpCommandMessage } from "@ftpkit/client";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { PEER_FEATURES, PEER_NAMES, type PeerName, type RunningPeer, startPeer, stopAllPeers } from "./peers.js";

const MiB = 1024 * 1024;
const big = randomBytes(4 * MiB + 4321);
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const UTF8_NAME = "ünï cödé 文件 ✓.txt";

/** Commands sent, per control connection (from the ftp:client:command channel). */
const sent = new Map<number, string[]>();
const onCommand = (message: unknown) => {
  const m = message as FtpCommandMessage;
  const list = sent.get(m.connectionId) ?? [];
  list.push(m.command);
  sent.set(m.connectionId, list);
};
diagnosticsChannel.subscribe("ftp:client:command", onCommand);
afterAll(async () => {
  diagnosticsChannel.unsubscribe("ftp:client:command", onCommand);
  await stopAllPeers();
});

/** Runs `fn` and returns the commands it sent (all connections) and the connections it used. */
async function recording<T>(fn: () => Promise<T>): Promise<{ value: T; commands: string[]; connections: number[] }> {
  const before = new Map([...sent].map(([id, list]) => [id, list.length]));
  const value = await fn();
  const commands: string[] = [];
  const connections: number[] = [];
  for (const [id, list] of sent) {
    const start = before.get(id) ?? 0;
    if (list.length > start) {
      connections.push(id);
      commands.push(...list.slice(start));
    }
  }
  return { value, commands, connections };
}

const verbs = (commands: string[]) => commands.map((c) => c.split(" ")[0]);

describe.each(PEER_NAMES)("%s", (name: PeerName) => {
  let peer: RunningPeer;
  let work: string;
  const clients: Client[] = [];
  const open = async (options: Partial<ConnectOptions> = {}) => {
    const client = await Client.connect({
      host: peer.host,
      port: peer.port,
      user: peer.user,
      password: peer.password,
      timeout: 15_000,
      keepAlive: false,
      ...options,
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    peer = await startPeer(name, { tls: false });
    work = await mkdtemp(path.join(os.tmpdir(), `ftpkit-interop-${name}-`));
  });

  // pure-ftpd allows 10 sessions (its default): every test closes what it opened.
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await peer?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test("login", async () => {
    const { value: client, commands } = await recording(() => open());
    expect(verbs(commands).slice(0, 3)).toEqual(["USER", "PASS", "FEAT"]);
    expect(await client.pwd()).toBe("/");
    const features = await client.features();
    expect(features.has("SIZE")).toBe(true);
    expect(features.has("MLST")).toBe(PEER_FEATURES[name].mlsd);
    await expect(open({ password: "wrong" })).rejects.toMatchObject({ code: 530, command: "PASS ****" });
  });

  test("list: MLSD where offered, else the LIST fallback", async () => {
    const client = await open();
    await client.mkdir("/ls");
    await client.upload(Buffer.from("12345"), "/ls/five.txt");
    await client.mkdir("/ls/sub");
    const { value: entries, commands } = await recording(() => client.list("/ls"));
    expect(verbs(commands)).toContain(PEER_FEATURES[name].mlsd ? "MLSD" : "LIST");
    expect(verbs(commands)).not.toContain(PEER_FEATURES[name].mlsd ? "LIST" : "MLSD");
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect([...byName.keys()].sort()).toEqual(["five.txt", "sub"]);
    expect(byName.get("five.txt")).toMatchObject({ type: "file", size: 5 });
    expect(byName.get("sub")?.type).toBe("directory");
    expect(byName.get("five.txt")?.modifiedAt).toBeInstanceOf(Date);
    expect(entries.every((e) => e.raw.includes(e.name))).toBe(true);
  });

  test("list: LIST", async () => {
    const client = await open({ mlsd: false });
    await client.mkdir("/ls2/-dash dir", { recursive: true });
    await client.upload(Buffer.from("x"), "/ls2/-dash dir/.hidden");
    await client.upload(Buffer.from("yy"), "/ls2/-dash dir/a b.txt");
    const { value: entries, commands } = await recording(() => client.list("/ls2/-dash dir"));
    expect(verbs(commands)).toContain("LIST");
    expect(verbs(commands)).not.toContain("MLSD");
    expect(entries.map((e) => [e.name, e.type, e.size]).sort()).toEqual([
      [".hidden", "file", 1],
      ["a b.txt", "file", 2],
    ]);
    expect(await client.pwd()).toBe("/");
  });

  test("mkdir and rmdir, recursive", async () => {
    const client = await open();
    await client.mkdir("deep/er/est", { recursive: true });
    await client.mkdir("deep/er/est", { recursive: true });
    await client.upload(Buffer.from("f"), "deep/er/f.txt");
    await client.upload(Buffer.from("g"), "deep/er/est/g.txt");
    await expect(client.rmdir("deep")).rejects.toMatchObject({ code: 550 });
    await client.rmdir("deep", { recursive: true });
    expect((await client.list("/")).some((e) => e.name === "deep")).toBe(false);
    await expect(client.mkdir("no/such/parent")).rejects.toMatchObject({ code: 550 });
  });

  test.each(["passive", "active"] as const)(
    "upload + download of a multi-MiB file, %s mode (SHA-256)",
    async (mode) => {
      const client = await open({ mode });
      const remote = `big-${mode}.bin`;
      const { commands } = await recording(() => client.upload(big, remote));
      expect(verbs(commands)).toContain(mode === "passive" ? "EPSV" : "EPRT");
      const local = path.join(work, remote);
      await client.download(remote, local);
      expect(sha256(await readFile(local))).toBe(sha256(big));
      expect(await client.size(remote)).toBe(big.length);
      expect(await stat(path.join(peer.root, remote)).then((s) => s.size)).toBe(big.length);
    },
  );

  test("resume: download from an offset (REST + RETR)", async () => {
    const client = await open();
    await client.upload(big, "resume-down.bin");
    const local = path.join(work, "resume-down.bin");
    await writeFile(local, big.subarray(0, 1_234_567));
    const { value, commands } = await recording(() => client.download("resume-down.bin", local, { offset: 1_234_567 }));
    expect(commands).toContain("REST 1234567");
    expect(value.bytes).toBe(big.length - 1_234_567);
    expect(sha256(await readFile(local))).toBe(sha256(big));
  });

  test("resume: upload from an offset (REST + STOR) and append (APPE)", async () => {
    const client = await open();
    await client.upload(big.subarray(0, 2 * MiB), "resume-up.bin");
    const local = path.join(work, "resume-up.bin");
    await writeFile(local, big);
    const { commands } = await recording(() => client.upload(local, "resume-up.bin", { offset: 2 * MiB }));
    expect(commands).toContain(`REST ${2 * MiB}`);
    expect(sha256(await readFile(path.join(peer.root, "resume-up.bin")))).toBe(sha256(big));
    await client.upload(Buffer.from("tail"), "resume-up.bin", { append: true });
    expect(await client.size("resume-up.bin")).toBe(big.length + 4);
  });

  test("rename, delete, size, lastModified, setLastModified", async () => {
    const client = await open();
    await client.upload(Buffer.from("hello"), "r1.txt");
    await client.rename("r1.txt", "r 2.txt");
    expect(await client.size("r 2.txt")).toBe(5);
    await expect(client.size("r1.txt")).rejects.toMatchObject({ code: 550 });
    const modified = await client.lastModified("r 2.txt");
    expect(Math.abs(modified.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    const when = new Date(Date.UTC(2015, 4, 6, 7, 8, 9));
    await client.setLastModified("r 2.txt", when);
    expect(await client.lastModified("r 2.txt")).toEqual(when);
    expect((await stat(path.join(peer.root, "r 2.txt"))).mtime).toEqual(when);
    await client.remove("r 2.txt");
    await expect(client.size("r 2.txt")).rejects.toMatchObject({ code: 550 });
    await expect(client.remove("r 2.txt")).rejects.toMatchObject({ code: 550 });
  });

  test("UTF-8 names", async () => {
    const client = await open();
    const { commands } = await recording(() => client.upload(Buffer.from("utf-8 content"), UTF8_NAME));
    expect(commands).toContain(`STOR ${UTF8_NAME}`);
    expect((await client.list()).map((e) => e.name)).toContain(UTF8_NAME);
    expect(await readFile(path.join(peer.root, UTF8_NAME), "utf8")).toBe("utf-8 content");
    const local = path.join(work, "utf8.txt");
    await client.download(UTF8_NAME, local);
    expect(await readFile(local, "utf8")).toBe("utf-8 content");
    await client.mkdir("dïr ✓");
    await client.cd("dïr ✓");
    expect(await client.pwd()).toBe("/dïr ✓");
    await client.cd("/");
  });

  test("TYPE A converts line ends", async () => {
    const client = await open();
    await client.upload(Buffer.from("one\ntwo\n"), "ascii.txt", { type: "ascii" });
    const stored = await readFile(path.join(peer.root, "ascii.txt"), "utf8");
    expect(stored).toBe(PEER_FEATURES[name].asciiConversion ? "one\ntwo\n" : "one\r\ntwo\r\n");
    const local = path.join(work, "ascii.txt");
    await client.download("ascii.txt", local, { type: "ascii" });
    expect(await readFile(local, "utf8")).toBe("one\ntwo\n");
  });

  test("abort mid-transfer, then go on with the client", async () => {
    const client = await open();
    await client.upload(big, "abort.bin");
    const reason = new Error("enough");
    // Download: a consumer slow enough that the abort lands mid-file.
    const controller = new AbortController();
    const slow = new Writable({
      highWaterMark: 1024,
      write(_chunk, _encoding, callback) {
        setTimeout(callback, 20);
      },
    });
    const { commands, connections } = await recording(async () => {
      await expect(
        client.download("abort.bin", slow, { signal: controller.signal, onProgress: () => controller.abort(reason) }),
      ).rejects.toBe(reason);
      // Upload: a source that aborts after a while.
      const upload = new AbortController();
      let produced = 0;
      const source = new (await import("node:stream")).Readable({
        read() {
          produced += 64 * 1024;
          if (produced > MiB) upload.abort(reason);
          setTimeout(() => this.push(Buffer.alloc(64 * 1024, 7)), 2);
        },
      });
      await expect(client.upload(source, "aborted-up.bin", { signal: upload.signal })).rejects.toBe(reason);
      // The same client goes on: the connection is in step (each command gets its own reply).
      expect(await client.size("abort.bin")).toBe(big.length);
      const local = path.join(work, "after-abort.bin");
      await client.download("abort.bin", local);
      expect(sha256(await readFile(local))).toBe(sha256(big));
    });
    expect(verbs(commands).filter((v) => v === "ABOR")).toHaveLength(2);
    expect(connections).toHaveLength(1);
  });

  test("uploadDir, downloadDir and mirror of a nested tree", async () => {
    const client = await open();
    const src = path.join(work, "tree-src");
    await mkdir(path.join(src, "a/b/c"), { recursive: true });
    await mkdir(path.join(src, "empty"), { recursive: true });
    await writeFile(path.join(src, "top.txt"), "top");
    await writeFile(path.join(src, "a/mid.bin"), big.subarray(0, MiB));
    await writeFile(path.join(src, "a/b/c/low.txt"), "low");
    await writeFile(path.join(src, "a/b/-dash name.txt"), "dash");
    const up = await client.uploadDir(src, "/tree", { parallel: 2 });
    expect(up.files).toEqual(["a/b/-dash name.txt", "a/b/c/low.txt", "a/mid.bin", "top.txt"]);
    const dst = path.join(work, "tree-dst");
    const down = await client.downloadDir("/tree", dst);
    expect(down.files).toEqual(up.files);
    expect(down.directories).toEqual(["a", "a/b", "a/b/c", "empty"]);
    expect(sha256(await readFile(path.join(dst, "a/mid.bin")))).toBe(sha256(big.subarray(0, MiB)));
    expect(await readFile(path.join(dst, "a/b/-dash name.txt"), "utf8")).toBe("dash");
    // Unchanged trees transfer nothing, in either direction.
    expect((await client.mirror("/tree", dst, { direction: "download" })).actions).toEqual([]);
    expect((await client.mirror("/tree", src, { direction: "upload", compare: "size" })).actions).toEqual([]);
    // A change on each side, and a deletion.
    await writeFile(path.join(src, "a/b/c/low.txt"), "lower");
    await writeFile(path.join(src, "new.txt"), "new");
    await rm(path.join(src, "top.txt"));
    const pushed = await client.mirror("/tree", src, { direction: "upload", delete: true, parallel: 3 });
    expect(pushed.actions.map((a) => `${a.action} ${a.path}`).sort()).toEqual([
      "delete top.txt",
      "transfer a/b/c/low.txt",
      "transfer new.txt",
    ]);
    const pulled = await client.mirror("/tree", dst, { direction: "download", delete: true });
    expect(pulled.actions.map((a) => `${a.action} ${a.path}`).sort()).toEqual([
      "delete top.txt",
      "transfer a/b/c/low.txt",
      "transfer new.txt",
    ]);
    expect(await readFile(path.join(dst, "a/b/c/low.txt"), "utf8")).toBe("lower");
    expect((await client.mirror("/tree", dst, { direction: "download", delete: true })).actions).toEqual([]);
  });
});
