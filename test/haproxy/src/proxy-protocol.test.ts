/**
 * @ftpkit/server behind Debian's HAProxy (TCP mode) with `send-proxy` (v1) and `send-proxy-v2`,
 * driven by curl. The client binds 127.0.0.2 (Linux routes all of 127/8 to lo) while HAProxy
 * reaches the server from 127.0.0.1, the only trusted proxy: the server must see 127.0.0.2.
 *
 * - v1: HAProxy relays the control connection only; passive data connections go straight to
 *   the server (EPSV: curl reuses the control connection's host, which is the server's address).
 * - v2: HAProxy listens on 127.0.0.3 for the control port *and* the server's passive port range
 *   (forwarded port for port, with send-proxy-v2); the server advertises 127.0.0.3 for PASV.
 *   Every data connection then arrives from HAProxy with a header naming curl's address.
 */
import { execFile } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  type AuthenticateRequest,
  CHANNELS,
  type ConnectEvent,
  FtpServer,
  MemoryFileSystem,
  type SessionMessage,
} from "@ftpkit/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type RunningHaproxy, startHaproxy } from "./index.js";

const run = promisify(execFile);
const CLIENT = "127.0.0.2";
const PAYLOAD = randomBytes(3 * 1024 * 1024 + 17);

const started: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.stop();
});

async function startFtp(
  options: { passive?: { portRange: [number, number]; advertisedAddress: string } } = {},
): Promise<{
  server: FtpServer;
  port: number;
  logins: AuthenticateRequest[];
  connects: ConnectEvent[];
  headers: { channel: string; remoteAddress: string; version: number }[];
}> {
  const fs = new MemoryFileSystem({ "hello.txt": "hello through HAProxy\n", "big.bin": PAYLOAD });
  const logins: AuthenticateRequest[] = [];
  const server = new FtpServer({
    host: "127.0.0.1",
    port: 0,
    proxyProtocol: { trustedProxies: ["127.0.0.1"] },
    authenticate: (request) => {
      logins.push(request);
      return request.user === "u" && request.password === "p" ? { fs, permissions: "all" } : null;
    },
    ...(options.passive === undefined ? {} : { passive: options.passive }),
  });
  const connects: ConnectEvent[] = [];
  server.on("connect", (e) => connects.push(e));
  // The PROXY headers the server read (diagnostics), per channel.
  const headers: { channel: string; remoteAddress: string; version: number }[] = [];
  const listener = (m: unknown) => {
    const message = m as SessionMessage;
    if (message.type === "proxy-header") headers.push(message);
  };
  subscribe(CHANNELS.session, listener);
  const { port } = await server.listen();
  started.push({
    stop: async () => {
      unsubscribe(CHANNELS.session, listener);
      await server.close({ deadline: 1000 });
    },
  });
  return { server, port, logins, connects, headers };
}

function track(h: RunningHaproxy): RunningHaproxy {
  started.push(h);
  return h;
}

/** curl from 127.0.0.2; `extra` before the URL. @returns stdout as bytes. */
async function curl(url: string, extra: readonly string[] = []): Promise<Buffer> {
  const { stdout } = await run(
    "curl",
    ["--silent", "--show-error", "--interface", CLIENT, "--max-time", "60", ...extra, url],
    { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

function probe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A range of `n` ports free on both hosts (below the ephemeral range, as the interop peers do). */
async function freeRange(n: number, hosts: readonly string[]): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = randomInt(20_000, 30_000);
    let ok = true;
    for (let p = base; p < base + n && ok; p++) {
      for (const h of hosts) ok = ok && (await probe(h, p));
    }
    if (ok) return [base, base + n - 1];
  }
  throw new Error(`no ${n} free ports`);
}

describe("@ftpkit/server behind HAProxy", () => {
  it("send-proxy (v1) with health checks: curl lists and downloads through HAProxy; the server sees curl's address", async () => {
    const ftp = await startFtp();
    const haproxy = track(
      await startHaproxy({
        frontends: [
          {
            bind: { host: "127.0.0.1", port: 0 },
            // Health checks (TCP connects without a header) are closed silently: no session, no event.
            backends: [{ host: "127.0.0.1", port: ftp.port, sendProxy: "v1", check: true, checkInterval: 100 }],
          },
        ],
      }),
    );
    const base = `ftp://u:p@127.0.0.1:${haproxy.ports[0]}`;
    expect((await curl(`${base}/`, ["--list-only"])).toString().split(/\r?\n/).filter(Boolean).sort()).toEqual([
      "big.bin",
      "hello.txt",
    ]);
    expect((await curl(`${base}/hello.txt`)).toString()).toBe("hello through HAProxy\n");
    expect((await curl(`${base}/big.bin`)).equals(PAYLOAD)).toBe(true);
    expect(ftp.connects.map((e) => e.remoteAddress)).toEqual([CLIENT, CLIENT, CLIENT]);
    expect(ftp.logins.map((l) => l.remoteAddress)).toEqual([CLIENT, CLIENT, CLIENT]);
    // The relayed port is curl's own (an ephemeral port), not HAProxy's outgoing one.
    for (const e of ftp.connects) expect(e.remotePort).toBeGreaterThan(0);
    // HAProxy's health checks (`check port N`: no header) connect and close: closed, never a session.
    // (HAProxy resets a check's connection at once: the server may see it reset or never see it.)
    await vi.waitFor(
      async () => expect((await haproxy.stat()).find((r) => r["svname"] === "s0")?.["check_status"]).toBe("L4OK"),
      { timeout: 10_000 },
    );
    expect(ftp.connects).toHaveLength(3);
    // Three control connections with a v1 header each; the data connections went direct.
    expect(ftp.headers.map((h) => [h.channel, h.remoteAddress, h.version])).toEqual([
      ["control", CLIENT, 1],
      ["control", CLIENT, 1],
      ["control", CLIENT, 1],
    ]);
    expect(await haproxy.log()).toContain("fe0");
  });

  it("send-proxy-v2, control and the passive port range through HAProxy: EPSV and PASV", async () => {
    const range = await freeRange(4, ["127.0.0.1", "127.0.0.3"]);
    const ftp = await startFtp({ passive: { portRange: range, advertisedAddress: "127.0.0.3" } });
    const haproxy = track(
      await startHaproxy({
        frontends: [
          {
            bind: { host: "127.0.0.3", port: 0 },
            backends: [{ host: "127.0.0.1", port: ftp.port, sendProxy: "v2" }],
          },
          {
            bind: { host: "127.0.0.3", port: range[0], portEnd: range[1] },
            backends: [{ host: "127.0.0.1", sendProxy: "v2" }],
          },
        ],
      }),
    );
    const base = `ftp://u:p@127.0.0.3:${haproxy.ports[0]}`;
    const peers: string[] = [];
    ftp.server.on("download", () => peers.push("download"));
    expect((await curl(`${base}/hello.txt`)).toString()).toBe("hello through HAProxy\n");
    // PASV: the advertised address is HAProxy's.
    expect((await curl(`${base}/big.bin`, ["--disable-epsv"])).equals(PAYLOAD)).toBe(true);
    const listing = (await curl(`${base}/`, ["--list-only", "--disable-epsv"])).toString();
    expect(listing.split(/\r?\n/).filter(Boolean).sort()).toEqual(["big.bin", "hello.txt"]);
    // An upload through the balancer (the first data bytes follow the PROXY header), read back.
    const dir = await mkdtemp(join(tmpdir(), "ftpkit-haproxy-up-"));
    started.push({ stop: () => rm(dir, { recursive: true, force: true }) });
    const upload = randomBytes(1024 * 1024 + 5);
    await writeFile(join(dir, "up.bin"), upload);
    await curl(`${base}/up.bin`, ["--upload-file", join(dir, "up.bin")]);
    expect((await curl(`${base}/up.bin`)).equals(upload)).toBe(true);
    const all = [CLIENT, CLIENT, CLIENT, CLIENT, CLIENT];
    expect(ftp.connects.map((e) => e.remoteAddress)).toEqual(all);
    expect(ftp.logins.map((l) => l.remoteAddress)).toEqual(all);
    expect(peers).toEqual(["download", "download", "download"]);
    // Every connection, control and data (5 transfers), came through HAProxy with a v2 header.
    const data = ftp.headers.filter((h) => h.channel === "data");
    const control = ftp.headers.filter((h) => h.channel === "control");
    expect(control.map((h) => [h.remoteAddress, h.version])).toEqual(all.map((a) => [a, 2]));
    expect(data.map((h) => [h.remoteAddress, h.version])).toEqual(new Array(5).fill([CLIENT, 2]));
  });
});
