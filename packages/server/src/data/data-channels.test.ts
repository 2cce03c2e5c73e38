import diagnosticsChannel from "node:diagnostics_channel";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeHostPort } from "@ftpkit/protocol";
import { describe, expect, it } from "vitest";
import { startServer, text, track } from "../__tests__/harness.js";
import { RawClient, readAll } from "../__tests__/raw-client.js";
import { CHANNELS, type SessionMessage } from "../diagnostics.js";
import { LocalFileSystem } from "../fs/index.js";

const FILES = { "/f.txt": "some data\n" };

/** Resolves true when the server accepted and kept the connection, false when it closed it at once. */
async function refusedAtOnce(socket: Socket, ms = 300): Promise<boolean> {
  if (socket.destroyed) return true; // reset while connecting
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.resume();
    socket.on("error", () => {});
  });
}

async function connectRefused(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
}

/** A range of 8 free ports (probed), for portRange tests. */
async function freeRange(size = 8): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const low = 20000 + Math.floor(Math.random() * 30000);
    const servers = [];
    let ok = true;
    for (let p = low; p < low + size; p++) {
      const s = createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          s.once("error", reject);
          s.listen(p, "127.0.0.1", () => resolve());
        });
        servers.push(s);
      } catch {
        ok = false;
        break;
      }
    }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (ok) return [low, low + size - 1];
  }
  throw new Error("no free port range");
}

describe("passive mode (RFC 959 PASV, RFC 2428 EPSV)", () => {
  it("offers ports from the configured range, one listener per request, none left afterwards", async () => {
    const range = await freeRange();
    const t = await startServer({ files: FILES, passive: { portRange: range } });
    const c = await t.login();
    const seen = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const hp = await c.pasv();
      expect(hp.host).toBe("127.0.0.1");
      expect(hp.port).toBeGreaterThanOrEqual(range[0]);
      expect(hp.port).toBeLessThanOrEqual(range[1]);
      seen.add(hp.port);
      // A new PASV closes the previous listener (RFC 959 §4.1.2: one data connection at a time).
      expect(t.server.passiveListenerCount).toBe(1);
    }
    const r = await c.retr("f.txt", "epsv");
    expect(text(r.data)).toBe("some data\r\n");
    expect(t.server.passiveListenerCount).toBe(0);
    expect(seen.size).toBeGreaterThan(1);
  });

  it("answers 425 when every port of the range is taken", async () => {
    const range = await freeRange(2);
    const t = await startServer({ files: FILES, passive: { portRange: range } });
    const a = await t.login();
    const b = await t.login();
    await a.pasv();
    await b.pasv();
    const c = await t.login();
    await c.expect("PASV", undefined, 425);
    await c.expect("EPSV", undefined, 425);
  });

  it("advertises a configured address for NAT, static or per client", async () => {
    const t1 = await startServer({ passive: { advertisedAddress: "203.0.113.7" } });
    const c1 = await t1.login();
    expect((await c1.pasv()).host).toBe("203.0.113.7");
    const seen: string[] = [];
    const t2 = await startServer({
      passive: {
        advertisedAddress: (client) => {
          seen.push(client);
          return "198.51.100.1";
        },
      },
    });
    const c2 = await t2.login();
    expect((await c2.pasv()).host).toBe("198.51.100.1");
    expect(seen).toEqual(["127.0.0.1"]);
  });

  it("refuses a data connection from a foreign address and keeps waiting for the client (RFC 2577)", async () => {
    const t = await startServer({ files: FILES });
    const messages: SessionMessage[] = [];
    const onMessage = (m: unknown) => messages.push(m as SessionMessage);
    diagnosticsChannel.subscribe(CHANNELS.session, onMessage);
    try {
      const c = await t.login();
      await c.expect("TYPE", "I", 200);
      const hp = await c.pasv();
      const intruder = await RawClient.connectData(hp, "127.0.0.2");
      expect(await refusedAtOnce(intruder)).toBe(true);
      expect(messages).toContainEqual(
        expect.objectContaining({ type: "foreign-data-peer", remoteAddress: "127.0.0.2", expected: "127.0.0.1" }),
      );
      const socket = await RawClient.connectData(hp);
      await c.expect("RETR", "f.txt", 150);
      expect(text(await readAll(socket))).toBe("some data\n");
      expect((await c.nextReply()).code).toBe(226);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.session, onMessage);
    }
  });

  it("fails with 425 when only a foreign peer connected before the timeout", async () => {
    const t = await startServer({ files: FILES, limits: { dataTimeout: 300 } });
    const c = await t.login();
    const hp = await c.epsv();
    const intruder = await RawClient.connectData({ host: "127.0.0.1", port: hp.port }, "127.0.0.2");
    expect(await refusedAtOnce(intruder)).toBe(true);
    await c.expect("RETR", "f.txt", 425);
    expect(await connectRefused(hp.port)).toBe(true);
    await c.expect("NOOP", undefined, 200);
  });

  it("accepts a foreign data peer with allowForeignDataPeer, or for an fxp account", async () => {
    for (const options of [{ passive: { allowForeignDataPeer: true } }, { account: { fxp: true } }]) {
      const t = await startServer({ files: FILES, ...options });
      const c = await t.login();
      await c.expect("TYPE", "I", 200);
      const hp = await c.pasv();
      const socket = await RawClient.connectData(hp, "127.0.0.2");
      await c.expect("RETR", "f.txt", 150);
      expect(text(await readAll(socket))).toBe("some data\n");
      expect((await c.nextReply()).code).toBe(226);
    }
  });

  it("closes the listener and answers 425 when the client never connects (dataTimeout)", async () => {
    const t = await startServer({ files: FILES, limits: { dataTimeout: 300 } });
    const c = await t.login();
    const hp = await c.pasv();
    const t0 = performance.now();
    const reply = await c.send("RETR", "f.txt");
    expect(reply.code).toBe(425);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    expect(t.server.passiveListenerCount).toBe(0);
    expect(await connectRefused(hp.port)).toBe(true);
    // A PASV left unused is closed after the timeout too; the transfer then gets 425 at once.
    const hp2 = await c.pasv();
    await new Promise((r) => setTimeout(r, 400));
    expect(await connectRefused(hp2.port)).toBe(true);
    await c.expect("LIST", undefined, 425);
    // The session goes on.
    expect(text((await c.retr("f.txt")).data)).toBe("some data\r\n");
  });

  it("works over IPv6: EPSV and EPRT on ::1; PASV is refused (RFC 2428 §1)", async () => {
    const t = await startServer({ files: FILES, host: "::1" });
    const c = track(await RawClient.connect(t.port, { host: "::1" }));
    await c.login("alice", "secret");
    await c.expect("TYPE", "I", 200);
    await c.expect("PASV", undefined, 425);
    await c.expect("EPSV", "1", 522);
    const r = await c.retr("f.txt", "epsv");
    expect(r.final.code).toBe(226);
    expect(text(r.data)).toBe("some data\n");
    const r2 = await c.retr("f.txt", "eprt");
    expect(text(r2.data)).toBe("some data\n");
    expect((await c.stor("up6.txt", "v6", { mode: "epsv" })).final.code).toBe(226);
    expect((await t.fs.stat("/up6.txt")).size).toBe(2);
  });

  it("serves IPv4 and IPv6 clients from one dual-stack listener (host ::)", async () => {
    const t = await startServer({ files: FILES, host: "::" });
    const v4 = track(await RawClient.connect(t.port, { host: "127.0.0.1" }));
    await v4.login("alice", "secret");
    expect((await v4.pasv()).host).toBe("127.0.0.1"); // not ::ffff:127.0.0.1
    await v4.expect("ABOR", undefined, 225);
    expect(text((await v4.retr("f.txt", "pasv")).data)).toBe("some data\r\n");
    expect(text((await v4.retr("f.txt", "eprt")).data)).toBe("some data\r\n");
    const v6 = track(await RawClient.connect(t.port, { host: "::1" }));
    await v6.login("alice", "secret");
    expect(text((await v6.retr("f.txt", "epsv")).data)).toBe("some data\r\n");
  });

  it("after EPSV ALL refuses PORT, EPRT and PASV with 503 (RFC 2428 §3)", async () => {
    const t = await startServer({ files: FILES });
    const c = await t.login();
    await c.expect("EPSV", "ALL", 200);
    await c.expect("PASV", undefined, 503);
    await c.expect("PORT", "127,0,0,1,4,1", 503);
    await c.expect("EPRT", "|1|127.0.0.1|1025|", 503);
    expect(text((await c.retr("f.txt", "epsv")).data)).toBe("some data\r\n");
  });
});

describe("active mode (RFC 959 PORT, RFC 2428 EPRT)", () => {
  it("connects to the client's PORT and EPRT listener for downloads, uploads and listings", async () => {
    const t = await startServer({ files: FILES });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    expect(text((await c.retr("f.txt", "port")).data)).toBe("some data\n");
    expect(text((await c.retr("f.txt", "eprt")).data)).toBe("some data\n");
    expect((await c.stor("a.txt", "active upload", { mode: "port" })).final.code).toBe(226);
    expect((await c.stor("b.txt", "active upload", { mode: "eprt" })).final.code).toBe(226);
    expect(await c.list("NLST", undefined, "port")).toBe("a.txt\r\nb.txt\r\nf.txt\r\n");
  });

  it("answers an upload whose data connection closes at once, before the file is open (LocalFileSystem): 425/426 on a reset, 226 on a clean close", async () => {
    // The server connects, then opens the file on disk; a client that resets (or closes) in
    // between must still get a final reply, never a session waiting forever.
    const root = await mkdtemp(join(tmpdir(), "ftpkit-active-close-"));
    try {
      const t = await startServer({ fs: new LocalFileSystem(root) });
      const c = await t.login();
      await c.expect("TYPE", "I", 200);
      for (const [ending, code] of [
        ["reset", 426],
        ["close", 226],
      ] as const) {
        for (const verb of ["PORT", "EPRT"] as const) {
          const name = `${ending}-${verb}.bin`;
          const listener = await c.activeListener(verb);
          const accepted = listener.accept();
          c.write("STOR", name);
          const socket = await accepted;
          if (ending === "reset") socket.resetAndDestroy();
          else socket.end();
          // A reset seen before the 150 is a data connection that could not be used (425);
          // after it, a transfer that lost its connection (426). Either way, a final reply.
          const first = (await c.nextReply()).code;
          if (ending === "reset" && first === 425) continue;
          expect(first).toBe(150);
          expect((await c.nextReply()).code).toBe(code);
          listener.close();
          if (ending === "close") expect((await readFile(join(root, name))).length).toBe(0);
        }
      }
      await c.expect("NOOP", undefined, 200);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("answers 425 when nothing listens at the PORT address", async () => {
    const t = await startServer({ files: FILES });
    const c = await t.login();
    const probe = createServer();
    probe.listen(0, "127.0.0.1");
    await once(probe, "listening");
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    await c.expect("PORT", encodeHostPort({ host: "127.0.0.1", port }), 200);
    await c.expect("RETR", "f.txt", 425);
    await c.expect("NOOP", undefined, 200);
  });

  it("refuses a foreign host (500) and a privileged port (504): the bounce attack (RFC 2577 §3)", async () => {
    const t = await startServer({ files: FILES });
    const c = await t.login();
    await c.expect("PORT", "127,0,0,2,4,1", 500);
    await c.expect("EPRT", "|1|127.0.0.2|1025|", 500);
    await c.expect("PORT", "127,0,0,1,0,21", 504);
    await c.expect("EPRT", "|1|127.0.0.1|80|", 504);
  });
});
