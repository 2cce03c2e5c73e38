// `pnpm load`: LOAD_SESSIONS (default 1000) concurrent sessions against a server in its own
// process, each logging in, listing, uploading its own file and downloading it again with a
// SHA-256 check; all logged in at once. Zero errors allowed; the server's file descriptors
// and heap (after a full GC) must be back at their baseline once the sessions closed.
// Clients come from 40 loopback addresses (127.0.0.2-127.0.0.41), so the default per-address
// limit (32) holds; only maxConnections is raised above the default 512.
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it, vi } from "vitest";
import { ChildServer } from "../src/__tests__/child-process.js";
import { type DataMode, RawClient, sha256 } from "../src/__tests__/raw-client.js";

const SESSIONS = Number(process.env["LOAD_SESSIONS"] ?? 1000);
const FILE_SIZE = Number(process.env["LOAD_FILE_SIZE"] ?? 64 * 1024);
const ADDRESSES = 40;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const fds = async () => (await readdir("/proc/self/fd")).length;

it(`${SESSIONS} concurrent sessions: login, listing, upload and download with SHA-256`, async () => {
  const root = await mkdtemp(join(tmpdir(), "ftpkit-load-"));
  const server = await ChildServer.start({
    root,
    uploadMode: "atomic-resume",
    limits: { maxConnections: SESSIONS + 100 },
  });
  try {
    // Warm-up, then the baselines (server and this client process).
    const warm = await RawClient.connect(server.port);
    await warm.login("u-warm", "p");
    await warm.list("LIST");
    await warm.quit();
    await vi.waitFor(async () => expect((await server.stats()).connections).toBe(0));
    const before = await server.stats();
    const clientFdsBefore = await fds();
    await server.request({ type: "rss-start" });

    let loggedIn = 0;
    let peak = 0;
    let release!: () => void;
    const barrier = new Promise<void>((resolve) => {
      release = resolve;
    });
    const errors: string[] = [];
    const modes: DataMode[] = ["epsv", "pasv", "eprt", "port"];
    const started = performance.now();
    let allIn = 0;
    await Promise.all(
      Array.from({ length: SESSIONS }, async (_, i) => {
        const user = `u${i}`;
        const data = randomBytes(FILE_SIZE);
        let c: RawClient | undefined;
        let step = "connect";
        try {
          c = await RawClient.connect(server.port, {
            localAddress: `127.0.0.${2 + (i % ADDRESSES)}`,
            timeoutMs: 60_000,
            replyTimeoutMs: 60_000,
          });
          if (c.greeting.code !== 220) throw new Error(`greeting ${c.greeting.code}`);
          step = "login";
          await c.login(user, "p");
          if (++loggedIn === SESSIONS) {
            allIn = performance.now() - started;
            peak = (await server.stats()).connections ?? 0;
            release();
          }
          await barrier;
          step = "TYPE";
          await c.expect("TYPE", "I", 200);
          step = `LIST (${modes[i % 4]})`;
          await c.list("LIST", undefined, modes[i % 4]);
          step = `STOR (${modes[(i + 1) % 4]})`;
          const up = await c.stor(`${user}.bin`, data, { mode: modes[(i + 1) % 4] });
          if (up.final.code !== 226) throw new Error(`STOR ${up.final.code}`);
          step = `RETR (${modes[(i + 2) % 4]})`;
          const down = await c.retr(`${user}.bin`, modes[(i + 2) % 4]);
          if (down.final.code !== 226) throw new Error(`RETR ${down.final.code}`);
          if (sha256(down.data) !== sha256(data)) throw new Error("SHA-256 mismatch");
          step = "HASH";
          const hash = await c.send("HASH", `${user}.bin`);
          if (!hash.lines.join(" ").includes(sha256(data))) throw new Error(`HASH ${hash.code}`);
          step = "QUIT";
          await c.quit();
          if (c.violations.length > 0) throw new Error(c.violations.join("; "));
        } catch (error) {
          errors.push(`${user} at ${step}: ${String(error)}`);
          c?.destroy();
          if (++loggedIn === SESSIONS) release();
        }
      }),
    );
    const total = performance.now() - started;
    const peakRss = await server.request({ type: "rss-stop" });
    await vi.waitFor(async () => expect((await server.stats()).connections).toBe(0), { timeout: 30_000 });
    let after = await server.stats();
    await vi.waitFor(
      async () => {
        after = await server.stats();
        expect(after.fds).toBe(before.fds);
        expect(after.passive).toBe(0);
      },
      { timeout: 30_000, interval: 500 },
    );
    const clientFdsAfter = await fds();
    const files = (await readdir(root)).length;
    console.info(
      [
        `${SESSIONS} sessions (${FILE_SIZE / 1024} KiB each way): ${errors.length} errors, ${peak} logged in at once after ${(allIn / 1000).toFixed(1)} s, all done in ${(total / 1000).toFixed(1)} s`,
        `server fds ${before.fds} -> ${after.fds}; heap after GC ${mib(before.heapUsed ?? 0)} -> ${mib(after.heapUsed ?? 0)}; rss ${mib(before.rss ?? 0)} -> peak ${mib(peakRss.maxRss ?? 0)} -> ${mib(after.rss ?? 0)}`,
        `client process fds ${clientFdsBefore} -> ${clientFdsAfter}; files stored ${files}; server errors ${JSON.stringify(after.errors)}`,
      ].join("\n"),
    );
    expect(errors.slice(0, 10)).toEqual([]);
    expect(peak).toBe(SESSIONS);
    expect(files).toBe(SESSIONS);
    expect(after.errors).toEqual([]);
    expect((after.heapUsed ?? 0) - (before.heapUsed ?? 0)).toBeLessThan(16 * 1024 * 1024);
    expect(await server.request({ type: "close" })).toEqual({ type: "closed", connections: 0 });
    expect(await server.exited).toEqual({ code: 0, signal: null });
  } finally {
    server.kill();
    await rm(root, { recursive: true, force: true });
  }
});
