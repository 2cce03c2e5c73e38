import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, vi } from "vitest";
import { ChildServer } from "./child-process.js";
import { RawClient, sha256 } from "./raw-client.js";
import { runSocketFuzz, type SocketFuzzResult } from "./socket-fuzzer.js";

export interface LiveFuzzReport {
  readonly seconds: number;
  readonly fuzz: SocketFuzzResult;
  readonly before: { fds: number; heapUsed: number; rss: number };
  readonly after: { fds: number; heapUsed: number; rss: number };
  readonly bans: number;
  readonly refusals: Record<string, number>;
}

/** A normal session: login, listing, upload and download with a checksum, QUIT. */
async function normalSession(port: number, name: string): Promise<void> {
  const c = await RawClient.connect(port);
  expect(c.greeting.code).toBe(220);
  await c.login("u", "p");
  await c.expect("TYPE", "I", 200);
  const payload = Buffer.from(`${name}:${"payload".repeat(5000)}`);
  expect((await c.stor(name, payload)).final.code).toBe(226);
  expect(await c.list("NLST")).toContain(name);
  expect(sha256((await c.retr(name)).data)).toBe(sha256(payload));
  await c.quit();
  expect(c.violations).toEqual([]);
}

/**
 * Fuzzes a server running in a child process for `seconds`, then checks that it still
 * answers a normal client (from 127.0.0.1, which the fuzzer never uses), that every
 * connection, passive listener and file descriptor was released, that its heap after a full
 * GC is back near where it started, and that it reported no internal error.
 */
export async function fuzzLiveServer(options: {
  seconds: number;
  workers: number;
  seed: number;
}): Promise<LiveFuzzReport> {
  const root = await mkdtemp(join(tmpdir(), "ftpkit-socket-fuzz-"));
  await writeFile(join(root, "f.bin"), Buffer.alloc(300_000, 7));
  const child = await ChildServer.start({
    root,
    uploadMode: "atomic-resume",
    limits: {
      loginTimeout: 2000,
      idleTimeout: 3000,
      dataTimeout: 1500,
      lineTimeout: 1000,
      floodTimeout: 1000,
      dataRateWindow: 1000,
      maxConnections: 1000,
    },
    defender: { allowList: [], banTime: 1500 },
  });
  try {
    // Warm up every code path once, then take the baseline.
    await normalSession(child.port, "warm-up.bin");
    await vi.waitFor(async () => expect((await child.stats()).connections).toBe(0));
    const before = await child.stats();
    const fuzz = await runSocketFuzz({
      port: child.port,
      durationMs: options.seconds * 1000,
      workers: options.workers,
      seed: options.seed,
      user: "u",
      password: "p",
    });
    // Everything the fuzzer opened is closed: the server must let go of all of it.
    await vi.waitFor(
      async () => {
        const s = await child.stats();
        expect(s.connections).toBe(0);
        expect(s.passive).toBe(0);
      },
      { timeout: 20_000, interval: 250 },
    );
    expect(child.child.exitCode).toBeNull();
    await normalSession(child.port, "after.bin");
    let after = await child.stats();
    await vi.waitFor(
      async () => {
        after = await child.stats();
        expect(after.connections).toBe(0);
        expect(after.fds).toBe(before.fds);
      },
      { timeout: 10_000, interval: 250 },
    );
    expect(after.errors).toEqual([]);
    const mib = 1024 * 1024;
    // Near the baseline: the defender's memory of a few hundred addresses, code warmed up by
    // paths the warm-up did not take; nothing per connection.
    expect((after.heapUsed ?? 0) - (before.heapUsed ?? 0)).toBeLessThan(8 * mib);
    expect(await child.request({ type: "close" })).toEqual({ type: "closed", connections: 0 });
    expect(await child.exited).toEqual({ code: 0, signal: null });
    return {
      seconds: options.seconds,
      fuzz,
      before: { fds: before.fds ?? 0, heapUsed: before.heapUsed ?? 0, rss: before.rss ?? 0 },
      after: { fds: after.fds ?? 0, heapUsed: after.heapUsed ?? 0, rss: after.rss ?? 0 },
      bans: after.bans ?? 0,
      refusals: after.refusals ?? {},
    };
  } finally {
    child.kill();
    await rm(root, { recursive: true, force: true });
  }
}

export function describeReport(r: LiveFuzzReport): string {
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const kinds = Object.entries(r.fuzz.scenarios)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  return (
    `socket fuzz ${r.seconds} s: ${r.fuzz.connections} connections (${kinds}), ${r.fuzz.dataConnections} data connections, ` +
    `${mib(r.fuzz.bytesSent)} sent, ${r.fuzz.refused} refused at accept, ${r.bans} bans; ` +
    `server fds ${r.before.fds} -> ${r.after.fds}, heap ${mib(r.before.heapUsed)} -> ${mib(r.after.heapUsed)}, ` +
    `rss ${mib(r.before.rss)} -> ${mib(r.after.rss)}; refusals ${JSON.stringify(r.refusals)}`
  );
}
