/**
 * Every limit and timeout added against hostile or broken clients, each shown to fire and
 * shown to leave a well-behaved client alone: the command rate, the command-line timeout
 * (slowloris), the minimum data rate, account bandwidth, and account upload quotas.
 * (maxConnections, maxConnectionsPerIp, maxSessions, idle/login/data timeouts, maxLineLength
 * and maxListEntries are in server.test.ts, commands.test.ts and transfers.test.ts.)
 */
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { startServer, text } from "./__tests__/harness.js";
import { RawClient, sha256, writeAll } from "./__tests__/raw-client.js";
import type { QuotaUsage, QuotaUsageStore } from "./account.js";
import type { FileSystem } from "./fs/file-system.js";
import { MemoryFileSystem } from "./fs/index.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KiB = 1024;

/** Writes `data` one byte every `everyMs` (stops when the socket closes). */
async function trickle(socket: Socket, data: string | Uint8Array, everyMs: number): Promise<void> {
  const bytes = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
  for (const b of bytes) {
    if (socket.destroyed || socket.writableEnded) return;
    socket.write(Buffer.from([b]));
    await sleep(everyMs);
  }
}

describe("command rate (limits.commandRate / commandBurst / floodTimeout)", () => {
  it("slows a client that waits for each reply down to the rate, and never closes it", async () => {
    const t = await startServer({ limits: { commandRate: 50, commandBurst: 5, floodTimeout: 200 } });
    const c = await t.login();
    const started = performance.now();
    for (let i = 0; i < 40; i++) expect((await c.send("NOOP")).code).toBe(200);
    const seconds = (performance.now() - started) / 1000;
    // USER+PASS and 5 of the burst are free: the rest come at 50 a second.
    expect(seconds).toBeGreaterThan(0.55);
    expect(c.isClosed).toBe(false);
    expect((await c.send("PWD")).code).toBe(257);
  });

  it("reads a pipelining flood no faster than the rate, then closes it with 421", async () => {
    const t = await startServer({ limits: { commandRate: 100, commandBurst: 20, floodTimeout: 500 } });
    const disconnects: string[] = [];
    t.server.on("disconnect", (e) => disconnects.push(e.reason));
    const c = await t.login();
    const started = performance.now();
    for (let i = 0; i < 5000; i++) c.write("NOOP");
    await c.closed;
    const ms = performance.now() - started;
    const answered = c.transcript.filter((r) => r.code === 200).length;
    expect(c.transcript.at(-1)?.code).toBe(421);
    expect(ms).toBeGreaterThanOrEqual(450);
    // At most the burst plus the rate over the time it took (and some slack for timers).
    expect(answered).toBeLessThanOrEqual(20 + (100 * ms) / 1000 + 10);
    await vi.waitFor(() => expect(disconnects).toEqual(["command-flood"]));
  });

  it("leaves the defaults (1000/s, burst 2000) unnoticed by a busy normal session", async () => {
    const t = await startServer({ files: { "/f": "x" } });
    const c = await t.login();
    const started = performance.now();
    for (let i = 0; i < 100; i++) {
      await c.expect("TYPE", "I", 200);
      await c.expect("SIZE", "f", 213);
      await c.expect("MDTM", "f", 213);
    }
    expect(performance.now() - started).toBeLessThan(5000);
    expect(c.isClosed).toBe(false);
  });
});

describe("slow senders: limits.lineTimeout, and partial lines are not activity", () => {
  it("closes a client that trickles a command one byte at a time (slowloris)", async () => {
    const t = await startServer({ limits: { lineTimeout: 300 } });
    const disconnects: string[] = [];
    t.server.on("disconnect", (e) => disconnects.push(e.reason));
    const c = await t.login();
    const started = performance.now();
    void trickle(c.socket, "NOOP NOOP NOOP NOOP\r\n", 100);
    c.writeRaw("", "NOOP");
    expect((await c.nextReply(5000)).code).toBe(421);
    await c.closed;
    expect(performance.now() - started).toBeLessThan(1500);
    await vi.waitFor(() => expect(disconnects).toEqual(["line-timeout"]));
  });

  it("lets a line that is slow but complete in time through", async () => {
    const t = await startServer({ limits: { lineTimeout: 2000 } });
    const c = await t.login();
    c.writeRaw("", "NOOP");
    await trickle(c.socket, "NOOP\r\n", 50);
    expect((await c.nextReply()).code).toBe(200);
  });

  it("does not reset the idle timeout with partial lines (nor the login timeout)", async () => {
    const t = await startServer({ limits: { lineTimeout: 0, idleTimeout: 600, loginTimeout: 600 } });
    const logged = await t.login();
    const fresh = await t.connect();
    const started = performance.now();
    void trickle(logged.socket, "N".repeat(100), 50);
    void trickle(fresh.socket, "U".repeat(100), 50);
    await Promise.all([logged.closed, fresh.closed]);
    const ms = performance.now() - started;
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(ms).toBeLessThan(2500);
    expect(logged.transcript.at(-1)?.lines.join(" ")).toMatch(/no activity/);
    expect(fresh.transcript.at(-1)?.lines.join(" ")).toMatch(/login took too long/);
  });
});

describe("minimum data rate (limits.dataMinRate over dataRateWindow)", () => {
  const limits = { dataMinRate: 2000, dataRateWindow: 300 };

  it("ends a one-byte-a-tick upload with 426; atomic mode keeps the old file", async () => {
    const t = await startServer({ limits, uploadMode: "atomic", files: { "/f": "old" } });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    const hp = await c.epsv();
    const data = await RawClient.connectData(hp);
    data.on("error", () => {});
    expect((await c.send("STOR", "f")).code).toBe(150);
    const started = performance.now();
    void trickle(data, "x".repeat(1000), 100);
    const final = await c.nextReply(5000);
    expect(final.code).toBe(426);
    expect(final.lines.join(" ")).toMatch(/too slow/);
    expect(performance.now() - started).toBeLessThan(1500);
    data.destroy();
    expect(text((await c.retr("f")).data)).toBe("old");
  });

  it("ends a download the client reads far too slowly with 426", async () => {
    const t = await startServer({ limits, files: { "/big": new Uint8Array(32 * 1024 * 1024) } });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    const hp = await c.epsv();
    const data = await RawClient.connectData(hp);
    data.on("error", () => {});
    data.pause();
    expect((await c.send("RETR", "big")).code).toBe(150);
    expect((await c.nextReply(5000)).code).toBe(426);
    data.destroy();
    expect((await c.send("NOOP")).code).toBe(200);
  });

  it("does not touch a normal transfer", async () => {
    const t = await startServer({ limits, files: { "/f": new Uint8Array(4 * 1024 * 1024).fill(7) } });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    const r = await c.retr("f");
    expect(r.final.code).toBe(226);
    expect(r.data.length).toBe(4 * 1024 * 1024);
    expect((await c.stor("g", r.data)).final.code).toBe(226);
  });
});

describe("bandwidth per account (Account.bandwidth)", () => {
  const SIZE = 480 * KiB;
  const RATE = 400 * KiB;

  it("throttles downloads and uploads to the account's rates, bytes unchanged", async () => {
    const payload = randomBytes(SIZE);
    const t = await startServer({
      files: { "/f": payload },
      account: { bandwidth: { download: RATE, upload: RATE } },
    });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    let started = performance.now();
    const down = await c.retr("f");
    const downSeconds = (performance.now() - started) / 1000;
    expect(sha256(down.data)).toBe(sha256(payload));
    started = performance.now();
    expect((await c.stor("g", payload)).final.code).toBe(226);
    const upSeconds = (performance.now() - started) / 1000;
    // A slice (a tenth of a second's worth) passes at once; an upload's last socket read
    // (up to 64 KiB) needs no wait after it.
    expect(downSeconds).toBeGreaterThanOrEqual((SIZE - RATE / 10) / RATE - 0.05);
    expect(upSeconds).toBeGreaterThanOrEqual((SIZE - RATE / 10 - 64 * KiB) / RATE - 0.05);
    expect(downSeconds).toBeLessThan(2 * (SIZE / RATE) + 1);
    expect(upSeconds).toBeLessThan(2 * (SIZE / RATE) + 1);
    const stored = Buffer.concat((await (await t.fs.createReadStream("/g")).toArray()) as Buffer[]);
    expect(sha256(stored)).toBe(sha256(payload));
  });

  it("leaves an account without bandwidth limits at full speed", async () => {
    const payload = randomBytes(SIZE);
    const t = await startServer({ files: { "/f": payload } });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    const started = performance.now();
    await c.retr("f");
    await c.stor("g", payload);
    expect((performance.now() - started) / 1000).toBeLessThan(SIZE / RATE);
  });

  it("reads no further ahead of a client that stops reading than the stream buffers", async () => {
    const SIZE_BIG = 256 * 1024 * 1024;
    let read = 0;
    const fs = new MemoryFileSystem({});
    // A file system whose one file is generated on the fly and counts what the server read.
    const counting: FileSystem = Object.assign(Object.create(fs) as FileSystem, {
      stat: async () => ({ name: "huge", type: "file" as const, size: SIZE_BIG, modifiedAt: new Date(0) }),
      createReadStream: async () => {
        let sent = 0;
        return new Readable({
          highWaterMark: 1024 * 1024,
          read() {
            if (sent >= SIZE_BIG) return void this.push(null);
            const n = Math.min(1024 * 1024, SIZE_BIG - sent);
            sent += n;
            read += n;
            this.push(Buffer.alloc(n));
          },
        });
      },
    });
    const t = await startServer({ fs: counting, account: { bandwidth: { download: 1024 * 1024 * 1024 } } });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    const hp = await c.epsv();
    const data = await RawClient.connectData(hp);
    data.pause();
    expect((await c.send("RETR", "huge")).code).toBe(150);
    await sleep(600);
    const ahead = read;
    await sleep(400);
    // Socket buffers plus a few 1 MiB stream buffers: nowhere near the 256 MiB file.
    expect(ahead).toBeLessThan(24 * 1024 * 1024);
    expect(read).toBe(ahead);
    data.destroy();
    expect((await c.nextReply()).code).toBe(426);
  });
});

describe("upload quota per account (Account.quota)", () => {
  for (const [mode, kept] of [
    ["atomic", 0],
    ["atomic-resume", 400],
    ["standard", 400],
  ] as const) {
    it(`answers 552 when the bytes run out mid-file; ${mode} keeps ${kept} bytes`, async () => {
      const t = await startServer({ uploadMode: mode, account: { quota: { bytes: 1000 } } });
      const c = await t.login();
      await c.expect("TYPE", "I", 200);
      expect((await c.stor("a", "x".repeat(600))).final.code).toBe(226);
      const r = await c.transfer("STOR", "b", "epsv", (s) => writeAll(s, "y".repeat(600)).catch(() => s.destroy()));
      expect(r.preliminary.code).toBe(150);
      expect(r.final.code).toBe(552);
      const names = (await c.list("NLST")).split("\r\n").filter(Boolean).sort();
      if (kept === 0) expect(names).toEqual(["a"]);
      else {
        expect(names).toEqual(["a", "b"]);
        expect((await c.send("SIZE", "b")).lines[0]).toBe(String(kept));
      }
      if (kept > 0) {
        // Full: even a new empty file is refused before any 150.
        const refused = await c.transfer("STOR", "c", "epsv", (s) => writeAll(s, "")).catch((e: unknown) => e);
        expect((refused as { reply?: { code: number } }).reply?.code).toBe(552);
      }
      // Deleting frees room; resuming the kept part (REST) works once there is room.
      await c.expect("DELE", "a", 250);
      if (kept > 0) {
        await c.expect("REST", String(kept), 350);
        expect((await c.stor("b", "y".repeat(200))).final.code).toBe(226);
        expect((await c.send("SIZE", "b")).lines[0]).toBe("600");
      } else {
        expect((await c.stor("b", "y".repeat(600))).final.code).toBe(226);
      }
    });
  }

  it("limits the number of files (552 before the 150), replacing a file is fine", async () => {
    const t = await startServer({ account: { quota: { files: 2 } } });
    const c = await t.login();
    expect((await c.stor("a", "1")).final.code).toBe(226);
    expect((await c.stor("b", "2")).final.code).toBe(226);
    const refused = await c.transfer("STOR", "c", "epsv", (s) => writeAll(s, "3")).catch((e: unknown) => e);
    expect((refused as { reply?: { code: number } }).reply?.code).toBe(552);
    expect((await c.stor("a", "replaced")).final.code).toBe(226);
    expect(text((await c.retr("a")).data)).toBe("replaced");
    await c.expect("RNFR", "b", 350);
    await c.expect("RNTO", "a", 250); // b replaces a: one file left
    expect((await c.stor("c", "3")).final.code).toBe(226);
  });

  it("keeps the usage in the account's store: every change recorded, the store's figure obeyed", async () => {
    const deltas: QuotaUsage[] = [];
    let usage: QuotaUsage = { bytes: 900, files: 5 };
    const store: QuotaUsageStore = {
      get: () => usage,
      add: (d) => {
        deltas.push(d);
        usage = { bytes: usage.bytes + d.bytes, files: usage.files + d.files };
      },
    };
    const t = await startServer({ account: { quota: { bytes: 1000, files: 10, usage: store } } });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    expect((await c.stor("a", "x".repeat(60))).final.code).toBe(226);
    await c.expect("REST", "60", 350);
    expect((await c.stor("a", "x".repeat(40))).final.code).toBe(226);
    // Full now: an append is refused before its 150, a replacement over the quota after it.
    const full = await c.transfer("APPE", "a", "epsv", (s) => writeAll(s, "z")).catch((e: unknown) => e);
    expect((full as { reply?: { code: number } }).reply?.code).toBe(552);
    const over = await c.transfer("STOR", "a", "epsv", (s) => writeAll(s, "z".repeat(150)).catch(() => s.destroy()));
    expect(over.final.code).toBe(552);
    // atomic-resume (the default) keeps what fitted under the name: 100 bytes, the quota's worth.
    expect(text((await c.retr("a")).data)).toBe("z".repeat(100));
    await c.expect("DELE", "a", 250);
    expect(deltas).toEqual([
      { bytes: 60, files: 1 },
      { bytes: 40, files: 0 },
      { bytes: -100, files: -1 },
    ]);
    expect(usage).toEqual({ bytes: 900, files: 5 });
  });

  it("counts two sessions of one user uploading at once together", async () => {
    const t = await startServer({ uploadMode: "atomic", account: { quota: { bytes: 1000 } } });
    const [a, b] = await Promise.all([t.login(), t.login()]);
    await Promise.all([a.expect("TYPE", "I", 200), b.expect("TYPE", "I", 200)]);
    // b starts first and writes slowly; a stores 600 bytes meanwhile; b then runs out of room.
    let bWrote = 0;
    const slow = b.transfer("STOR", "b", "epsv", async (s) => {
      s.on("error", () => {});
      for (let i = 0; i < 10 && !s.destroyed; i++) {
        s.write("q".repeat(100));
        bWrote += 100;
        await sleep(60);
      }
      await writeAll(s, "").catch(() => s.destroy());
    });
    await vi.waitFor(() => expect(bWrote).toBeGreaterThanOrEqual(200));
    expect((await a.stor("a", "p".repeat(600))).final.code).toBe(226);
    expect((await slow).final.code).toBe(552);
    expect((await a.list("NLST")).trim()).toBe("a");
  });
});
