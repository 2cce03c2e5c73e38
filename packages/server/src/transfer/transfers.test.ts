import type { Socket } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { startServer, text } from "../__tests__/harness.js";
import { RawClient, readAll, writeAll } from "../__tests__/raw-client.js";
import type { FtpServerEvents } from "../events.js";
import type { UploadMode } from "../fs/file-system.js";
import { MemoryFileSystem } from "../fs/index.js";
import type { FtpServer } from "../server.js";

/** Records every embedder event of a server. */
function recordEvents(server: FtpServer) {
  const events: { name: keyof FtpServerEvents; payload: unknown }[] = [];
  for (const name of [
    "connect",
    "login",
    "login-failed",
    "upload",
    "download",
    "delete",
    "rename",
    "mkdir",
    "rmdir",
    "disconnect",
  ] as const) {
    server.on(name, (payload: unknown) => events.push({ name, payload }));
  }
  return {
    events,
    named: (name: keyof FtpServerEvents) => events.filter((e) => e.name === name).map((e) => e.payload),
  };
}

const BIG = 48 * 1024 * 1024;
const bigFile = () => {
  const data = new Uint8Array(BIG);
  for (let i = 0; i < data.length; i += 4096) data[i] = i & 0xff;
  return data;
};

/** Sends part of an upload, then resets the data connection (an interrupted upload, not an EOF). */
async function interruptedUpload(c: RawClient, path: string, data: string): Promise<number> {
  const hp = await c.epsv();
  const socket = await RawClient.connectData(hp);
  await c.expect("STOR", path, 150);
  await new Promise<void>((resolve) => socket.write(data, () => resolve()));
  await new Promise((r) => setTimeout(r, 100));
  socket.resetAndDestroy();
  return (await c.nextReply()).code;
}

describe("REST (RFC 3659 §5) for RETR, STOR and APPE", () => {
  it("restarts a download at the offset", async () => {
    const t = await startServer({ files: { "/f": "0123456789" } });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    await c.expect("REST", "4", 350);
    const r = await c.retr("f");
    expect(text(r.data)).toBe("456789");
    expect(r.preliminary.lines[0]).toContain("(6 bytes)");
    // The offset applies to one transfer only.
    expect(text((await c.retr("f")).data)).toBe("0123456789");
    await c.expect("REST", "100", 350);
    expect(text((await c.retr("f")).data)).toBe("");
  });

  it("resumes an upload at the offset without truncating before it (STOR and APPE)", async () => {
    const t = await startServer({ files: { "/f": "0123456789" } });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    await c.expect("REST", "4", 350);
    expect((await c.stor("f", "abcdefgh")).final.code).toBe(226);
    expect(text((await c.retr("f")).data)).toBe("0123abcdefgh");
    await c.expect("REST", "2", 350);
    expect((await c.stor("f", "XY", { verb: "APPE" })).final.code).toBe(226);
    // REST + APPE writes at the offset (the offset wins, as in vsftpd) and truncates nothing.
    expect(text((await c.retr("f")).data)).toBe("01XYabcdefgh");
  });
});

describe("TYPE A (RFC 959 §3.1.1.1)", () => {
  it("converts LF to CRLF on the way out and CRLF to LF on the way in; SIZE is exact in TYPE I", async () => {
    const t = await startServer({ files: { "/unix.txt": "one\ntwo\n\nthree" } });
    const c = await t.login();
    expect(text((await c.retr("unix.txt")).data)).toBe("one\r\ntwo\r\n\r\nthree");
    const wire = `${"x".repeat(70_000)}\r\ny\r\n\r\nlast\r`;
    expect((await c.stor("up.txt", wire)).final.code).toBe(226);
    await c.expect("TYPE", "I", 200);
    const stored = text((await c.retr("up.txt")).data);
    expect(stored).toBe(`${"x".repeat(70_000)}\ny\n\nlast\r`);
    expect((await c.send("SIZE", "up.txt")).lines[0]).toBe(String(stored.length));
    await c.expect("TYPE", "A", 200);
    expect(text((await c.retr("up.txt")).data)).toBe(`${"x".repeat(70_000)}\r\ny\r\n\r\nlast\r`);
  });
});

describe("ABOR (RFC 959 §4.1.3)", () => {
  it("aborts a download: 426 then 226, and the session stays usable", async () => {
    const t = await startServer({ files: { "/big": bigFile(), "/small": "ok" } });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    const hp = await c.pasv();
    const socket = await RawClient.connectData(hp);
    socket.pause(); // do not read: the server blocks on back-pressure
    await c.expect("RETR", "big", 150);
    await new Promise((r) => setTimeout(r, 100));
    // What clients send: Telnet IP and Synch (RFC 959 §4.1.3), then ABOR.
    c.writeRaw(new Uint8Array([255, 244, 255, 242]));
    c.write("ABOR");
    expect((await c.nextReply()).code).toBe(426);
    expect((await c.nextReply()).code).toBe(226);
    socket.resume();
    const received = await readAll(socket).catch(() => Buffer.alloc(0));
    expect(received.length).toBeLessThan(BIG);
    await c.expect("NOOP", undefined, 200);
    expect(text((await c.retr("small")).data)).toBe("ok");
    expect(t.server.passiveListenerCount).toBe(0);
  });

  it("aborts an upload; in atomic mode the old file is untouched", async () => {
    const t = await startServer({ files: { "/f": "old" }, uploadMode: "atomic" });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    const hp = await c.epsv();
    const socket = await RawClient.connectData(hp);
    await c.expect("STOR", "f", 150);
    socket.write("partial new content");
    await new Promise((r) => setTimeout(r, 100));
    c.write("ABOR");
    expect((await c.nextReply()).code).toBe(426);
    expect((await c.nextReply()).code).toBe(226);
    socket.destroy();
    expect(text((await c.retr("f")).data)).toBe("old");
    expect(await c.list("NLST")).toBe("f\r\n");
  });

  it("answers STAT during a transfer and QUIT after it (RFC 959 §4.1.3)", async () => {
    const t = await startServer({ files: { "/big": bigFile() } });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    const hp = await c.epsv();
    const socket = await RawClient.connectData(hp);
    socket.pause();
    await c.expect("RETR", "big", 150);
    c.write("STAT");
    const stat = await c.nextReply();
    expect(stat.code).toBe(211);
    expect(stat.lines.join("\n")).toContain("RETR /big");
    c.write("QUIT");
    socket.resume();
    const data = await readAll(socket);
    expect(data.length).toBe(BIG);
    expect((await c.nextReply()).code).toBe(226);
    expect((await c.nextReply()).code).toBe(221);
    await c.closed;
  });
});

describe("upload modes with an interrupted upload", () => {
  const cases: [UploadMode, string][] = [
    ["standard", "partial"],
    ["atomic", "old content"],
    ["atomic-resume", "partial"],
  ];
  it.each(cases)("%s leaves %j", async (uploadMode, expected) => {
    const t = await startServer({ files: { "/f": "old content" }, uploadMode });
    const { named } = recordEvents(t.server);
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    expect(await interruptedUpload(c, "f", "partial")).toBe(426);
    expect(text((await c.retr("f")).data)).toBe(expected);
    expect(await c.list("NLST")).toBe("f\r\n"); // no temporary file shows
    expect(named("upload")).toEqual([]);
    if (uploadMode !== "atomic") {
      // Resume what was kept (REST + STOR, RFC 3659 §5).
      await c.expect("REST", "7", 350);
      expect((await c.stor("f", " and the rest")).final.code).toBe(226);
      expect(text((await c.retr("f")).data)).toBe("partial and the rest");
      expect(named("upload")).toHaveLength(1);
    }
  });

  it("atomic-resume keeps an interrupted new file, atomic removes it", async () => {
    for (const [mode, exists] of [
      ["atomic-resume", true],
      ["atomic", false],
    ] as const) {
      const t = await startServer({ uploadMode: mode });
      const c = await t.login();
      expect(await interruptedUpload(c, "new", "abc")).toBe(426);
      expect((await c.list("NLST")).includes("new"), mode).toBe(exists);
    }
  });
});

describe("storage errors during a transfer", () => {
  it("answers a full disk with 452 after the 150, keeps the old file (atomic) and the session", async () => {
    const fs = new MemoryFileSystem({ "/f": "old" }, { maxBytes: 64 * 1024 });
    const t = await startServer({ fs, uploadMode: "atomic" });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    // The server drops the data connection when storage fails: the client's writes may fail too.
    const r = await c.transfer("STOR", "f", "epsv", (socket) =>
      writeAll(socket, new Uint8Array(1024 * 1024)).catch(() => socket.destroy()),
    );
    expect(r.preliminary.code).toBe(150);
    expect(r.final.code).toBe(452);
    expect(text((await c.retr("f")).data)).toBe("old");
    expect(fs.usedBytes).toBe(3);
  });
});

describe("data-idle timeout (dataTimeout)", () => {
  it("ends a stalled upload with 426 and aborts it", async () => {
    const t = await startServer({ files: { "/f": "old" }, uploadMode: "atomic", limits: { dataTimeout: 300 } });
    const c = await t.login();
    const hp = await c.epsv();
    const socket: Socket = await RawClient.connectData(hp);
    await c.expect("STOR", "f", 150);
    socket.write("some");
    expect((await c.nextReply()).code).toBe(426);
    socket.destroy();
    expect(text((await c.retr("f")).data)).toBe("old");
  });

  it("ends a download the client stopped reading with 426", async () => {
    const t = await startServer({ files: { "/big": bigFile() }, limits: { dataTimeout: 300 } });
    const c = await t.login();
    const hp = await c.epsv();
    const socket = await RawClient.connectData(hp);
    socket.pause();
    await c.expect("RETR", "big", 150);
    expect((await c.nextReply(5000)).code).toBe(426);
    socket.destroy();
    await c.expect("NOOP", undefined, 200);
  });
});

describe("events for embedders: once each, only after the action completed", () => {
  it("reports connect, login, login-failed, upload (after commit), download, mkdir, rename, delete, rmdir, disconnect", async () => {
    const t = await startServer({ files: { "/f": "hello" } });
    const { events, named } = recordEvents(t.server);
    const uploadSeen: boolean[] = [];
    t.server.on("upload", (e) => {
      // The file is committed when the event fires: visible under its final name, full size.
      void t.fs.stat(e.path).then((s) => uploadSeen.push(s.size === e.size));
    });
    const c = await t.connect();
    await c.expect("USER", "alice", 331);
    await c.expect("PASS", "nope", 530);
    await c.login("alice", "secret");
    await c.expect("TYPE", "I", 200);
    expect((await c.stor("up.bin", "12345")).final.code).toBe(226);
    expect(named("upload")).toEqual([
      expect.objectContaining({ path: "/up.bin", bytes: 5, size: 5, kind: "stor", user: "alice", offset: 0 }),
    ]);
    expect((await c.retr("f")).final.code).toBe(226);
    expect(named("download")).toEqual([expect.objectContaining({ path: "/f", bytes: 5, user: "alice" })]);
    await c.expect("MKD", "d", 257);
    await c.expect("RNFR", "up.bin", 350);
    await c.expect("RNTO", "d/up.bin", 250);
    await c.expect("DELE", "d/up.bin", 250);
    await c.expect("RMD", "d", 250);
    // Failed actions report nothing.
    await c.expect("DELE", "missing", 550);
    await c.expect("RMD", "missing", 550);
    await c.expect("MKD", "f", 550);
    await expect(c.retr("missing")).rejects.toThrow();
    await c.quit();
    await vi.waitFor(() => expect(named("disconnect")).toHaveLength(1));
    expect(events.map((e) => e.name)).toEqual([
      "connect",
      "login-failed",
      "login",
      "upload",
      "download",
      "mkdir",
      "rename",
      "delete",
      "rmdir",
      "disconnect",
    ]);
    expect(named("rename")).toEqual([expect.objectContaining({ from: "/up.bin", to: "/d/up.bin" })]);
    expect(named("disconnect")).toEqual([expect.objectContaining({ user: "alice", reason: "quit" })]);
    expect(uploadSeen).toEqual([true]);
  });

  it("reports a client that closes without QUIT (eof) or resets (socket-closed) once", async () => {
    const t = await startServer();
    const { named } = recordEvents(t.server);
    const a = await t.login();
    a.destroy();
    await vi.waitFor(() => expect(named("disconnect")).toHaveLength(1));
    expect(named("disconnect")[0]).toMatchObject({ reason: "eof", user: "alice" });
    const b = await t.login("reader");
    b.socket.resetAndDestroy();
    await vi.waitFor(() => expect(named("disconnect")).toHaveLength(2));
    expect(named("disconnect")[1]).toMatchObject({ reason: "socket-closed", user: "reader" });
    await vi.waitFor(() => expect(t.server.connectionCount).toBe(0));
  });
});
