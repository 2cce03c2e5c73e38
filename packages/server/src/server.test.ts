import diagnosticsChannel from "node:diagnostics_channel";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ChildServer } from "./__tests__/child-process.js";
import { startServer, text, track } from "./__tests__/harness.js";
import { RawClient, readAll } from "./__tests__/raw-client.js";
import { hashPassword, isPasswordHash, verifyPassword } from "./auth/password.js";
import { CHANNELS } from "./diagnostics.js";
import { FtpServerError } from "./errors/index.js";
import { MemoryFileSystem } from "./fs/index.js";
import { FtpServer } from "./server.js";

const FAST = { N: 1024, r: 8, p: 1 } as const;
const memoryAuth = () => ({ fs: new MemoryFileSystem() });
const started: FtpServer[] = [];
const temps: string[] = [];

async function listen(server: FtpServer): Promise<number> {
  started.push(server);
  return (await server.listen()).port;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ftpkit-server-test-"));
  temps.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(started.map((s) => s.close({ deadline: 500 })));
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
}

describe("options", () => {
  it("validates with zod and lists the problem", () => {
    expect(() => new FtpServer({})).toThrow(/authenticate/);
    expect(() => new FtpServer({ authenticate: memoryAuth, users: {} })).toThrow(/either/);
    expect(() => new FtpServer({ authenticate: memoryAuth, port: 70000 })).toThrow();
    expect(() => new FtpServer({ authenticate: memoryAuth, passive: { advertisedAddress: "example.com" } })).toThrow(
      /IPv4/,
    );
    expect(() => new FtpServer({ authenticate: memoryAuth, passive: { portRange: [5000, 4000] } })).toThrow(/low/);
    expect(() => new FtpServer({ authenticate: memoryAuth, uploadMode: "yolo" as never })).toThrow();
    expect(() => new FtpServer({ authenticate: memoryAuth, limits: { idleTimeout: -1 } })).toThrow();
    expect(() => new FtpServer({ authenticate: memoryAuth, bogus: 1 } as never)).toThrow();
    expect(() => new FtpServer({ authenticate: memoryAuth, greeting: "hi\r\n230 fake" })).toThrow(/one line/);
    expect(() => new FtpServer({ authenticate: memoryAuth })).not.toThrow();
  });

  it("listens on port 0, reports the address, refuses a second listen, and a taken port", async () => {
    const server = new FtpServer({ authenticate: memoryAuth, port: 0 });
    const port = await listen(server);
    expect(server.address()).toMatchObject({ address: "127.0.0.1", port });
    await expect(server.listen()).rejects.toThrow(/already/);
    const other = new FtpServer({ authenticate: memoryAuth, port });
    const error = await other.listen().catch((e: unknown) => e);
    expect(FtpServerError.isInstance(error) && error.code).toBe("FTP_ERR_LISTEN");
    await server.close();
    expect(server.address()).toBeUndefined();
    expect(await connectRefused(port)).toBe(true);
  });
});

describe("built-in authenticator", () => {
  it("hashes passwords as self-describing scrypt strings and verifies them", async () => {
    const hash = await hashPassword("pässword", FAST);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(isPasswordHash(hash)).toBe(true);
    expect(await verifyPassword("pässword", hash)).toBe(true);
    expect(await verifyPassword("password", hash)).toBe(false);
    expect(await verifyPassword("x", "plain-text")).toBe(false);
    expect(isPasswordHash("scrypt$3$8$1$AAAA$BBBB")).toBe(false);
    expect(await hashPassword("a", FAST)).not.toBe(await hashPassword("a", FAST));
    await expect(hashPassword("a", { N: 3 })).rejects.toThrow(RangeError);
  });

  it("logs users in from a table, with permissions, and anonymous only when asked", async () => {
    const fs = new MemoryFileSystem({ "/pub/f.txt": "public" });
    const users = {
      admin: await hashPassword("admin-pw", FAST),
      guest: { password: await hashPassword("guest-pw", FAST), permissions: "read-only" as const, home: "/pub" },
    };
    const port = await listen(new FtpServer({ port: 0, users, root: fs, limits: { failedLoginDelay: 0 } }));
    const a = track(await RawClient.connect(port));
    await a.login("admin", "admin-pw");
    await a.expect("MKD", "/new", 257);
    const g = track(await RawClient.connect(port));
    await a.expect("QUIT", undefined, 221);
    await g.login("guest", "guest-pw");
    expect((await g.send("PWD")).lines[0]).toMatch(/^"\/pub"/);
    await g.expect("MKD", "/other", 550);
    const x = track(await RawClient.connect(port));
    await x.expect("USER", "anonymous", 331);
    await x.expect("PASS", "me@example.com", 530);
    await x.expect("USER", "admin", 331);
    await x.expect("PASS", "guest-pw", 530);

    const anon = await listen(new FtpServer({ port: 0, users: {}, anonymous: true, root: fs }));
    const y = track(await RawClient.connect(anon));
    await y.login("anonymous", "me@example.com");
    expect(await y.list("NLST", "/pub")).toBe("f.txt\r\n");
    await y.expect("DELE", "/pub/f.txt", 550);
    await y.expect("MKD", "/x", 550);
  });

  it("reads a YAML or JSON users file, resolving a relative root next to the file", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "hello.txt"), "from disk");
    const yamlHash = await hashPassword("yaml-pw", FAST);
    await writeFile(join(dir, "users.yaml"), `# ftpkit users\nbob:\n  password: "${yamlHash}"\n  root: .\n`);
    const port = await listen(new FtpServer({ port: 0, users: join(dir, "users.yaml") }));
    const c = track(await RawClient.connect(port));
    await c.login("bob", "yaml-pw");
    await c.expect("TYPE", "I", 200);
    expect(text((await c.retr("hello.txt")).data)).toBe("from disk");

    await writeFile(join(dir, "users.json"), JSON.stringify({ carol: { password: yamlHash, root: dir } }));
    const port2 = await listen(new FtpServer({ port: 0, users: join(dir, "users.json") }));
    const d = track(await RawClient.connect(port2));
    await d.login("carol", "yaml-pw");
  });

  it("refuses a users file with a plain password, a bad permission or no root", async () => {
    const dir = await tempDir();
    const cases = [
      "eve:\n  password: hunter2\n  root: .\n",
      `eve:\n  password: "${await hashPassword("x", FAST)}"\n  permissions: [fly]\n  root: .\n`,
      `eve: "${await hashPassword("x", FAST)}"\n`,
      "eve: [unclosed\n",
    ];
    for (const [i, content] of cases.entries()) {
      const file = join(dir, `bad${i}.yaml`);
      await writeFile(file, content);
      const error = await new FtpServer({ port: 0, users: file }).listen().catch((e: unknown) => e);
      expect(FtpServerError.isInstance(error) && error.code, content).toBe("FTP_ERR_USERS_FILE");
      expect(String(error)).not.toContain("hunter2");
    }
  });
});

describe("limits", () => {
  it("refuses connections over maxConnectionsPerIp with 421 and accepts again when one leaves", async () => {
    const t = await startServer({ limits: { maxConnectionsPerIp: 2 } });
    const a = await t.connect();
    await t.connect();
    const c = await t.connect();
    expect(c.greeting.code).toBe(421);
    expect(c.greeting.lines[0]).toMatch(/^Too many connections/);
    await c.closed;
    // Another address is counted on its own.
    const other = await t.connect({ localAddress: "127.0.0.2" });
    expect(other.greeting.code).toBe(220);
    await a.quit();
    await vi.waitFor(() => expect(t.server.connectionCount).toBe(2));
    expect((await t.connect()).greeting.code).toBe(220);
  });

  it("refuses connections over maxConnections with 421", async () => {
    const t = await startServer({ limits: { maxConnections: 1 } });
    expect((await t.connect()).greeting.code).toBe(220);
    const second = await t.connect({ localAddress: "127.0.0.3" });
    expect(second.greeting.code).toBe(421);
    await second.closed;
  });

  it("closes an idle session with 421 (idleTimeout) and a slow login (loginTimeout)", async () => {
    const t = await startServer({ limits: { idleTimeout: 300, loginTimeout: 400 } });
    const c = await t.login();
    await c.expect("NOOP", undefined, 200);
    const t0 = performance.now();
    const reply = await c.nextReply(3000);
    expect(reply.code).toBe(421);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    await c.closed;
    const slow = await t.connect();
    await slow.expect("USER", "alice", 331);
    expect((await slow.nextReply(3000)).code).toBe(421);
    await slow.closed;
  });

  it("answers a flood of pipelined commands in order, reading only as fast as it replies", async () => {
    // Without the command rate (defences.test.ts has it): only the reply back-pressure acts here.
    const t = await startServer({ limits: { commandRate: 0 } });
    const c = await t.login();
    const count = 20_000;
    c.socket.pause();
    for (let i = 0; i < count; i++) c.write("NOOP");
    await new Promise((r) => setTimeout(r, 300));
    c.socket.resume();
    for (let i = 0; i < count; i++) expect((await c.nextReply()).code).toBe(200);
    await c.expect("PWD", undefined, 257);
  });

  it("limits concurrent sessions per account (maxSessions) with 421", async () => {
    const t = await startServer({ account: { maxSessions: 1 } });
    const a = await t.login();
    const b = await t.connect();
    await b.expect("USER", "alice", 331);
    await b.expect("PASS", "secret", 421);
    await b.closed;
    await a.quit();
    await vi.waitFor(() => expect(t.server.connectionCount).toBe(0));
    await t.login();
  });
});

describe("errors and diagnostics", () => {
  it("turns a throwing authenticator into 530 and an error event; a client never crashes the server", async () => {
    const server = new FtpServer({
      port: 0,
      authenticate: () => {
        throw new Error("database down");
      },
      limits: { failedLoginDelay: 0 },
    });
    const errors: FtpServerError[] = [];
    server.on("error", (e) => errors.push(e));
    const port = await listen(server);
    const c = track(await RawClient.connect(port));
    await c.expect("USER", "a", 331);
    await c.expect("PASS", "b", 530);
    expect(errors.map((e) => e.code)).toEqual(["FTP_ERR_AUTHENTICATOR"]);
    expect(errors[0]?.connectionId).toBe(1);
    // Without an error listener, nothing is thrown.
    server.removeAllListeners("error");
    await c.expect("USER", "a", 331);
    await c.expect("PASS", "b", 530);
    // Garbage and an abrupt reset do not hurt.
    c.writeRaw(new Uint8Array([0xff, 0xfb, 0x01, 0xff, 0xff, 0x0d, 0x0a]), "NOOP");
    await c.nextReply();
    c.socket.resetAndDestroy();
    const d = track(await RawClient.connect(port));
    await d.expect("NOOP", undefined, 200);
  });

  it("goes on when an event listener throws, reporting it on the error event", async () => {
    const t = await startServer();
    const errors: FtpServerError[] = [];
    t.server.on("error", (e) => errors.push(e));
    t.server.on("mkdir", () => {
      throw new Error("listener bug");
    });
    const c = await t.login();
    await c.expect("MKD", "d", 257);
    await c.expect("NOOP", undefined, 200);
    expect(errors.map((e) => e.code)).toEqual(["FTP_ERR_LISTENER"]);
  });

  it("publishes commands (PASS masked), replies and session events on diagnostics channels", async () => {
    const seen: { session: unknown[]; command: unknown[]; reply: unknown[] } = { session: [], command: [], reply: [] };
    const subs = Object.entries(CHANNELS).map(([key, name]) => {
      const fn = (m: unknown) => seen[key as keyof typeof seen].push(m);
      diagnosticsChannel.subscribe(name, fn);
      return () => diagnosticsChannel.unsubscribe(name, fn);
    });
    try {
      const t = await startServer();
      const c = await t.login();
      await c.quit();
      await vi.waitFor(() => expect(seen.session).toContainEqual(expect.objectContaining({ type: "close" })));
      expect(seen.command).toContainEqual(expect.objectContaining({ verb: "PASS", line: "PASS ****" }));
      expect(JSON.stringify(seen)).not.toContain("secret");
      expect(seen.reply).toContainEqual(expect.objectContaining({ code: 230 }));
      expect(seen.session).toContainEqual(expect.objectContaining({ type: "connect", remoteAddress: "127.0.0.1" }));
      expect(seen.session).toContainEqual(expect.objectContaining({ type: "login", user: "alice" }));
    } finally {
      for (const unsubscribe of subs) unsubscribe();
    }
  });
});

describe("graceful close", () => {
  it("sends 421 to idle sessions, lets a transfer finish (226, then 421), frees everything", async () => {
    const big = new Uint8Array(8 * 1024 * 1024).fill(7);
    const t = await startServer({ files: { "/big": big } });
    const idle = await t.login();
    const busy = await t.login();
    await busy.expect("TYPE", "I", 200);
    const hp = await busy.pasv();
    const socket = await RawClient.connectData(hp);
    socket.pause();
    await busy.expect("RETR", "big", 150);
    const pasvOnly = await t.login();
    await pasvOnly.pasv();
    const closing = t.server.close({ deadline: 5000 });
    expect((await idle.nextReply()).code).toBe(421);
    expect((await pasvOnly.nextReply()).code).toBe(421);
    expect(await connectRefused(t.port)).toBe(true);
    socket.resume();
    expect((await readAll(socket)).length).toBe(big.length);
    expect((await busy.nextReply()).code).toBe(226);
    expect((await busy.nextReply()).code).toBe(421);
    await closing;
    expect(t.server.connectionCount).toBe(0);
    expect(t.server.passiveListenerCount).toBe(0);
    await Promise.all([idle.closed, busy.closed, pasvOnly.closed]);
  });

  it("aborts a transfer still running at the deadline (426, then 421)", async () => {
    const t = await startServer({ files: { "/big": new Uint8Array(32 * 1024 * 1024) } });
    const c = await t.login();
    const hp = await c.epsv();
    const socket = await RawClient.connectData(hp);
    socket.pause();
    await c.expect("RETR", "big", 150);
    const t0 = performance.now();
    await t.server.close({ deadline: 300 });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect((await c.nextReply()).code).toBe(426);
    expect((await c.nextReply()).code).toBe(421);
    socket.destroy();
  });

  it("leaves nothing behind: a server process exits by itself after close()", async () => {
    const child = await ChildServer.start({ files: { "/f.txt": "child" } });
    try {
      const c = track(await RawClient.connect(child.port));
      await c.login("u", "p");
      expect(text((await c.retr("f.txt", "pasv")).data)).toBe("child");
      expect(text((await c.retr("f.txt", "port")).data)).toBe("child");
      await c.pasv(); // a passive listener left open
      const idle = track(await RawClient.connect(child.port));
      expect(await child.request({ type: "close", deadline: 1000 })).toEqual({ type: "closed", connections: 0 });
      const exit = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r("still running"), 5000))]);
      expect(exit).toEqual({ code: 0, signal: null });
      await Promise.all([c.closed, idle.closed]);
    } finally {
      child.kill();
    }
  });
});
