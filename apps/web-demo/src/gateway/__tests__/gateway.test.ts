import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiError, DownloadTicket, ListResponse, SessionInfo } from "../../shared/api.js";
import { isAllowed, parseAllowRule } from "../allow-list.js";
import { type DemoGateway, startDemoGateway } from "../server.js";
import { httpRequest, Page, startFtpServer, type TestServer } from "./helpers.js";

let ftp: TestServer;
let gateway: DemoGateway;
let staticDir: string;

beforeAll(async () => {
  ftp = await startFtpServer();
  staticDir = await mkdtemp(join(tmpdir(), "ftpkit-webdemo-static-"));
  await writeFile(join(staticDir, "index.html"), "<!doctype html><title>demo</title>");
  await mkdir(join(staticDir, "assets"));
  await writeFile(join(staticDir, "assets", "app-1234.js"), "console.log(1)");
  gateway = await startDemoGateway({
    preset: { host: "127.0.0.1", port: ftp.port, user: ftp.user, password: ftp.password, label: "bundled" },
    staticDir,
  });
});

afterAll(async () => {
  await gateway?.close();
  await ftp?.stop();
  await rm(staticDir, { recursive: true, force: true });
});

/** A pseudo-random stream of `size` bytes made on the fly (never whole in memory), hashing what it gives. */
function generated(size: number, seed: number): { stream: Readable; digest: () => string; produced: () => number } {
  const hash = createHash("sha256");
  let left = size;
  let x = seed >>> 0 || 1;
  const stream = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, 64 * 1024);
      const chunk = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        chunk.writeUInt32LE(x >>> 0, i);
      }
      left -= n;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest("hex"), produced: () => size - left };
}

/** Live heap + array-buffer memory (after a full collection: run with --expose-gc). */
function liveMemory(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc (see vitest.config.ts)");
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Samples `sample()` every 20 ms while `work` runs; returns the largest value seen. */
async function peakWhile(work: () => Promise<void>, sample: () => Promise<number> | number): Promise<number> {
  let peak = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, await sample());
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await sampler;
  }
  return peak;
}

describe("allow list", () => {
  it("parses host:port, [v6]:port and host:* and matches exactly", () => {
    const rules = ["127.0.0.1:2121", "[::1]:21", "ftp.example.com:*"].map(parseAllowRule);
    expect(isAllowed(rules, "127.0.0.1", 2121)).toBe(true);
    expect(isAllowed(rules, "::ffff:127.0.0.1", 2121)).toBe(true);
    expect(isAllowed(rules, "0:0::1", 21)).toBe(true);
    expect(isAllowed(rules, "FTP.Example.com", 990)).toBe(true);
    expect(isAllowed(rules, "127.0.0.1", 2122)).toBe(false);
    expect(isAllowed(rules, "localhost", 2121)).toBe(false);
    expect(isAllowed(rules, "10.0.0.1", 21)).toBe(false);
    expect(() => parseAllowRule("example.com")).toThrow(TypeError);
    expect(() => parseAllowRule("a:70000")).toThrow(TypeError);
  });

  it("refuses a server that is not on the list without opening any connection to it", async () => {
    const other = createServer();
    let reached = 0;
    other.on("connection", (s) => {
      reached++;
      s.destroy();
    });
    other.listen(0, "127.0.0.1");
    await once(other, "listening");
    const otherPort = (other.address() as { port: number }).port;
    try {
      const page = new Page(gateway.port);
      const info = await page.open();
      expect(info.allowed).toEqual([`127.0.0.1:${ftp.port}`]);
      for (const [host, port] of [
        ["127.0.0.1", otherPort],
        ["localhost", ftp.port],
        ["10.1.2.3", 21],
      ] as const) {
        const res = await page.call("POST", "/api/connect", { host, port, user: "x", password: "y", secure: false });
        expect(res.status).toBe(403);
        const body = res.json<ApiError>();
        expect(body.error.kind).toBe("not-allowed");
        expect(body.error.message).toContain(`only connects to 127.0.0.1:${ftp.port}`);
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(reached).toBe(0);
    } finally {
      other.close();
    }
  });

  it("allows nothing without a preset or rules", async () => {
    const bare = await startDemoGateway({ staticDir });
    try {
      const page = new Page(bare.port);
      const info = await page.open();
      expect(info.allowed).toEqual([]);
      expect(info.preset).toBeUndefined();
      const res = await page.connect(ftp, ftp.password);
      expect(res.status).toBe(403);
      expect(res.json<ApiError>().error.message).toMatch(/not allowed to connect anywhere/);
    } finally {
      await bare.close();
    }
  });
});

describe("requests from elsewhere", () => {
  it("answers only its own Host (DNS rebinding) and only same-origin writes with the token", async () => {
    const rebound = await httpRequest(gateway.port, "/api/session", {
      headers: { host: `evil.example:${gateway.port}` },
    });
    expect(rebound.status).toBe(421);

    const page = new Page(gateway.port);
    await page.open();
    // No token.
    const noToken = await httpRequest(gateway.port, "/api/list?path=/", { headers: page.baseHeaders() });
    expect(noToken.status).toBe(403);
    // A wrong token.
    const wrong = await page.call("GET", "/api/list?path=/", undefined, { "x-ftpkit-token": "x".repeat(32) });
    expect(wrong.status).toBe(403);
    // Another origin, even with the token.
    const cross = await page.call("POST", "/api/mkdir", { path: "/x" }, { origin: "http://evil.example" });
    expect(cross.status).toBe(403);
    expect(cross.json<ApiError>().error.message).toMatch(/other sites/);
    // No session cookie at all.
    const stranger = await httpRequest(gateway.port, "/api/list", {
      headers: { host: `127.0.0.1:${gateway.port}`, "x-ftpkit-token": page.token },
    });
    expect(stranger.status).toBe(401);
  });

  it("sets a strict HttpOnly cookie and protective page headers; serves no file outside its folder", async () => {
    const res = await httpRequest(gateway.port, "/api/session", { headers: { host: `127.0.0.1:${gateway.port}` } });
    expect(res.headers["set-cookie"]?.[0]).toMatch(/^ftpkit_demo_\d+=[\w-]+; HttpOnly; SameSite=Strict; Path=\/$/);
    const index = await httpRequest(gateway.port, "/", { headers: { host: `localhost:${gateway.port}` } });
    expect(index.status).toBe(200);
    expect(index.text).toContain("<title>demo</title>");
    expect(index.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(index.headers["x-frame-options"]).toBe("DENY");
    const asset = await httpRequest(gateway.port, "/assets/app-1234.js", {
      headers: { host: `127.0.0.1:${gateway.port}` },
    });
    expect(asset.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(asset.headers["cache-control"]).toContain("immutable");
    for (const path of ["/../package.json", "/%2e%2e/package.json", "/assets/../../x", "/%00"]) {
      const r = await httpRequest(gateway.port, path, { headers: { host: `127.0.0.1:${gateway.port}` } });
      expect(r.status, path).toBe(404);
    }
  });
});

describe("a session", () => {
  it("logs in with the preset's password without it ever reaching the page; PASS is masked", async () => {
    const page = new Page(gateway.port);
    const info = await page.open();
    expect(info.preset).toMatchObject({ host: "127.0.0.1", port: ftp.port, user: "dev", passwordKnown: true });
    await page.listen();
    const wrong = await page.connect(ftp, "not-the-password");
    expect(wrong.status).toBe(401);
    expect(wrong.json<ApiError>().error).toMatchObject({ kind: "login-failed", reply: 530 });
    expect(wrong.json<ApiError>().error.message).toMatch(/^Login failed/);
    const ok = await page.connect(ftp);
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ cwd: "/", user: "dev" });
    const list = await page.call("GET", "/api/list?path=/");
    expect(list.status).toBe(200);
    await page.waitFor((e) => e.type === "reply" && e.code === 226);
    const transcript = page.transcript();
    expect(transcript).toContain("> PASS ****");
    expect(transcript.filter((l) => l.startsWith("< 230"))).toHaveLength(1);
    expect(transcript.filter((l) => l.startsWith("< 530"))).toHaveLength(1);
    const everything = page.received.join("\n");
    expect(everything).not.toContain(ftp.password);
    expect(everything).not.toContain("not-the-password");
    page.close();
  });

  it("relays only its own connection's transcript", async () => {
    const a = new Page(gateway.port);
    const b = new Page(gateway.port);
    await a.open();
    await b.open();
    await a.listen();
    await b.listen();
    expect((await a.connect(ftp)).status).toBe(200);
    expect((await b.connect(ftp)).status).toBe(200);
    await Promise.all([
      a.call("POST", "/api/mkdir", { path: "/only-a" }),
      b.call("POST", "/api/mkdir", { path: "/only-b" }),
    ]);
    await a.waitFor((e) => e.type === "command" && e.text === "MKD /only-a");
    await b.waitFor((e) => e.type === "command" && e.text === "MKD /only-b");
    expect(a.transcript().some((l) => l.includes("only-b"))).toBe(false);
    expect(b.transcript().some((l) => l.includes("only-a"))).toBe(false);
    const connectionsOf = (p: Page) => new Set(p.events.flatMap((e) => (e.type === "command" ? [e.connection] : [])));
    expect([...connectionsOf(a)].some((id) => connectionsOf(b).has(id))).toBe(false);
    a.close();
    b.close();
  });

  it("streams a multi-MiB upload and download with equal SHA-256 and bounded memory", async () => {
    const page = new Page(gateway.port);
    await page.open();
    await page.listen();
    expect((await page.connect(ftp)).status).toBe(200);
    const size = 64 * 1024 * 1024;
    const source = generated(size, 7);
    let uploaded: ReturnType<typeof page.call> extends Promise<infer R> ? R : never = undefined as never;
    const base = liveMemory();
    const uploadPeak = await peakWhile(async () => {
      uploaded = await httpRequest(gateway.port, "/api/upload?path=%2Fbig.bin", {
        method: "PUT",
        headers: page.headers({ "content-type": "application/octet-stream", "content-length": String(size) }),
        body: source.stream,
      });
    }, liveMemory);
    expect(uploaded.status, uploaded.text).toBe(200);
    expect(uploaded.json()).toEqual({ path: "/big.bin", bytes: size });
    const want = source.digest();
    const onDisk = createHash("sha256");
    for await (const chunk of createReadStream(join(ftp.root, "big.bin"))) onDisk.update(chunk as Buffer);
    expect(onDisk.digest("hex")).toBe(want);

    const ticket = await page.call("POST", "/api/download", { path: "/big.bin" });
    expect(ticket.status).toBe(200);
    const { url, size: told } = ticket.json<DownloadTicket>();
    expect(told).toBe(size);
    const got = createHash("sha256");
    let received = 0;
    let headers: Record<string, unknown> = {};
    // The page reads slowly (a pause every 8 MiB): the client may run ahead of the page
    // only by what the sockets hold, and nothing holds the file.
    let downloadLead = 0;
    let res: Awaited<ReturnType<typeof httpRequest>> = undefined as never;
    const downloadPeak = await peakWhile(async () => {
      res = await httpRequest(gateway.port, url, {
        headers: page.baseHeaders(),
        sink: async (stream) => {
          let nextPause = 4 * 1024 * 1024;
          for await (const chunk of stream) {
            received += (chunk as Buffer).length;
            got.update(chunk as Buffer);
            if (received >= nextPause) {
              nextPause += 8 * 1024 * 1024;
              await new Promise((r) => setTimeout(r, 400));
              const moved = page.events.filter((e) => e.type === "transfer" && e.direction === "download").at(-1);
              if (moved?.type === "transfer") downloadLead = Math.max(downloadLead, moved.bytes - received);
            }
          }
        },
      });
    }, liveMemory);
    headers = res.headers;
    expect(res.status).toBe(200);
    expect(headers["content-disposition"]).toBe(`attachment; filename="big.bin"; filename*=UTF-8''big.bin`);
    expect(headers["content-length"]).toBe(String(size));
    expect(received).toBe(size);
    expect(got.digest("hex")).toBe(want);
    // Holding the file would cost 64 MiB at least; the sockets, the server and the client hold about 10.
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    const growth = { upload: uploadPeak - base, download: downloadPeak - base, lead: downloadLead };
    expect(growth.upload, mib(growth.upload)).toBeLessThan(24 * 1024 * 1024);
    expect(growth.download, mib(growth.download)).toBeLessThan(24 * 1024 * 1024);
    expect(growth.lead, mib(growth.lead)).toBeLessThan(24 * 1024 * 1024);
    // A ticket works once.
    expect((await httpRequest(gateway.port, url, { headers: page.baseHeaders() })).status).toBe(404);

    const transfers = page.events.filter((e) => e.type === "transfer" && e.state === "done");
    expect(transfers).toEqual([
      expect.objectContaining({ direction: "upload", path: "/big.bin", bytes: size, mode: "EPSV" }),
      expect.objectContaining({ direction: "download", path: "/big.bin", bytes: size, mode: "EPSV" }),
    ]);
    for (const t of transfers) expect(t.type === "transfer" && t.rate > 0).toBe(true);
    expect(page.transcript()).toEqual(expect.arrayContaining(["> STOR /big.bin", "> RETR /big.bin"]));
    page.close();
  });

  it("lists, makes folders, renames and deletes; failures are plain sentences", async () => {
    const page = new Page(gateway.port);
    await page.open();
    expect((await page.call("GET", "/api/list?path=/")).json<ApiError>().error.kind).toBe("not-connected");
    expect((await page.connect(ftp)).status).toBe(200);
    await writeFile(join(ftp.root, "note.txt"), "hello");
    expect((await page.call("POST", "/api/mkdir", { path: "/docs" })).status).toBe(200);
    expect((await page.call("POST", "/api/rename", { from: "/note.txt", to: "/docs/note.txt" })).status).toBe(200);
    const list = (await page.call("GET", "/api/list?path=%2Fdocs")).json<ListResponse>();
    expect(list.path).toBe("/docs");
    expect(list.entries).toEqual([
      expect.objectContaining({ name: "note.txt", type: "file", size: 5, modified: expect.any(String) }),
    ]);
    expect(await readFile(join(ftp.root, "docs", "note.txt"), "utf8")).toBe("hello");

    const missing = await page.call("POST", "/api/delete", { path: "/nope.txt" });
    expect(missing.status).toBe(404);
    expect(missing.json<ApiError>().error.message).toMatch(/^Could not delete nope\.txt: the file is not there/);
    const missingDir = await page.call("GET", "/api/list?path=%2Fnowhere");
    expect(missingDir.json<ApiError>().error.message).toMatch(/^Could not open \/nowhere/);
    const badPath = await page.call("POST", "/api/mkdir", { path: "a\r\nDELE x" });
    expect(badPath.status).toBe(400);
    const folder = await page.call("POST", "/api/download", { path: "/docs" });
    expect(folder.status).toBe(404);

    expect((await page.call("POST", "/api/delete", { path: "/docs", directory: true })).status).toBe(200);
    expect((await page.call("GET", "/api/list?path=/")).json<ListResponse>().entries.map((e) => e.name)).not.toContain(
      "docs",
    );
    // Still usable after the errors.
    expect((await page.call("POST", "/api/mkdir", { path: "/after" })).status).toBe(200);
  });

  it("says plainly when the allowed server is not running", async () => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1");
    await once(probe, "listening");
    const deadPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const g = await startDemoGateway({ staticDir, allow: [`127.0.0.1:${deadPort}`] });
    try {
      const page = new Page(g.port);
      await page.open();
      const res = await page.connect({ port: deadPort, user: "dev" }, "x");
      expect(res.status).toBe(502);
      expect(res.json<ApiError>().error).toMatchObject({ kind: "unreachable" });
      expect(res.json<ApiError>().error.message).toMatch(/connection refused/);
    } finally {
      await g.close();
    }
  });

  it("expires after the idle time and closes its FTP connection, but not during a call", async () => {
    const ttl = 1000;
    const g = await startDemoGateway({
      staticDir,
      sessionTtl: ttl,
      preset: { host: "127.0.0.1", port: ftp.port, user: ftp.user, password: ftp.password },
    });
    try {
      const page = new Page(g.port);
      await page.open();
      await page.listen();
      expect((await page.connect(ftp)).status).toBe(200);
      expect(g.sessionCount).toBe(1);
      const before = ftp.server.connectionCount;
      // An upload that takes longer than the idle time (the page sends slowly) keeps the session.
      const slow = new Readable({ read() {} });
      const upload = httpRequest(g.port, "/api/upload?path=%2Fslow.txt", {
        method: "PUT",
        headers: page.headers({ "content-type": "application/octet-stream" }),
        body: slow,
      });
      for (let i = 0; i < 5; i++) {
        slow.push(Buffer.from(`part ${i}\n`));
        await new Promise((r) => setTimeout(r, ttl / 2));
      }
      slow.push(null);
      expect((await upload).status).toBe(200);
      expect(g.sessionCount).toBe(1);
      // Then nothing: it expires.
      await page.waitFor((e) => e.type === "status" && !e.connected, 5 * ttl);
      expect(g.sessionCount).toBe(0);
      await page.waitFor((e) => e.type === "reply" && e.code === 221, 5000);
      expect(page.transcript()).toContain("> QUIT");
      expect(page.events.filter((e) => e.type === "status" && !e.connected)).toHaveLength(1);
      for (let i = 0; i < 100 && ftp.server.connectionCount >= before; i++) await new Promise((r) => setTimeout(r, 20));
      expect(ftp.server.connectionCount).toBe(before - 1);
      const res = await page.call("GET", "/api/list?path=/");
      expect(res.status).toBe(401);
      expect(res.json<ApiError>().error.message).toMatch(/expired/);
      // A fresh session works again.
      const again = await page.open();
      expect(again.connected).toBe(false);
      expect(again.token).not.toBe("");
      page.close();
    } finally {
      await g.close();
    }
  });

  it("connects with explicit TLS when asked, and says plainly when the certificate is not trusted", async () => {
    const secureFtp = await startFtpServer("dev", "tls-Pa55word", { tls: true });
    const certificate = secureFtp.server.certificate;
    expect(certificate?.selfSigned).toBe(true);
    const preset = { host: "127.0.0.1", port: secureFtp.port, user: "dev", password: "tls-Pa55word" };
    const trusting = await startDemoGateway({ staticDir, preset, secureOptions: { ca: certificate?.pem ?? "" } });
    const strict = await startDemoGateway({ staticDir, preset });
    try {
      const page = new Page(trusting.port);
      await page.open();
      await page.listen();
      const ok = await page.connect(secureFtp, "", "127.0.0.1", true);
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json()).toMatchObject({ secure: true });
      expect((await page.call("POST", "/api/mkdir", { path: "/over-tls" })).status).toBe(200);
      expect((await page.call("GET", "/api/list?path=/")).json<ListResponse>().entries.map((e) => e.name)).toContain(
        "over-tls",
      );
      await page.waitFor((e) => e.type === "reply" && e.code === 234);
      expect(page.transcript()).toEqual(expect.arrayContaining(["> AUTH TLS", "> PROT P", "> PASS ****"]));
      page.close();

      const doubtful = new Page(strict.port);
      await doubtful.open();
      const refused = await doubtful.connect(secureFtp, "", "127.0.0.1", true);
      expect(refused.status).toBe(502);
      expect(refused.json<ApiError>().error.message).toMatch(
        /^Could not connect: the server's TLS certificate is not trusted/,
      );
    } finally {
      await trusting.close();
      await strict.close();
      await secureFtp.stop();
    }
  });

  it("reports the session's state to a reloaded page", async () => {
    const page = new Page(gateway.port);
    await page.open();
    expect((await page.connect(ftp)).status).toBe(200);
    const again = await page.open();
    expect(again).toMatchObject<Partial<SessionInfo>>({ connected: true, user: "dev", cwd: "/" });
    expect(again.server).toBe(`127.0.0.1:${ftp.port}`);
    expect((await page.call("POST", "/api/disconnect", {})).json<SessionInfo>().connected).toBe(false);
  });
});
