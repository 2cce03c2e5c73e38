/**
 * `proxyProtocol`: connections from a trusted proxy (127.0.0.1 here) start with a PROXY header
 * whose source becomes the session's remote address; connections from anywhere else (127.0.0.2:
 * Linux routes all of 127/8 to lo) are plain FTP, and a `PROXY` line from them is an unknown command.
 */

import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { formatProxyHeaderV1, formatProxyHeaderV2, type ProxyAddresses } from "@ftpkit/protocol";
import { describe, expect, it, vi } from "vitest";
import { startServer, type TestServer, track } from "../__tests__/harness.js";
import { RawClient } from "../__tests__/raw-client.js";
import type { AuthenticateRequest } from "../account.js";
import { CHANNELS, type SessionMessage } from "../diagnostics.js";
import type { ConnectEvent } from "../events.js";
import { MemoryFileSystem } from "../fs/index.js";
import type { FtpServerOptions } from "../options.js";
import { parseTrustedProxy, TrustedProxies } from "./trusted-proxies.js";

const UNTRUSTED = "127.0.0.2";
const CLIENT: ProxyAddresses = {
  family: 4,
  sourceAddress: "203.0.113.7",
  sourcePort: 40001,
  destinationAddress: "198.51.100.1",
  destinationPort: 21,
};

async function proxied(
  options: Partial<FtpServerOptions> = {},
): Promise<{ t: TestServer; logins: AuthenticateRequest[]; connects: ConnectEvent[] }> {
  const logins: AuthenticateRequest[] = [];
  const fs = new MemoryFileSystem({ "hello.txt": "hello through the balancer\n" });
  const t = await startServer({
    fs,
    proxyProtocol: { trustedProxies: ["127.0.0.1"], headerTimeout: 2000 },
    authenticate: (request) => {
      logins.push(request);
      return request.password === "secret" ? { fs, permissions: "all" } : null;
    },
    ...options,
  });
  const connects: ConnectEvent[] = [];
  t.server.on("connect", (e) => connects.push(e));
  return { t, logins, connects };
}

async function connectWith(t: TestServer, preamble: Uint8Array, localAddress?: string): Promise<RawClient> {
  return track(await RawClient.connect(t.port, { preamble, ...(localAddress === undefined ? {} : { localAddress }) }));
}

/**
 * Resolves when `socket` has closed, however (a refused connection may be reset: `events.once`
 * would reject on that `error`).
 */
function closed(socket: Socket): Promise<void> {
  socket.on("error", () => {});
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once("close", () => resolve());
  });
}

/** A raw connection that sends `bytes` and collects everything until the server closes it. */
async function unanswered(port: number, bytes: Uint8Array | undefined): Promise<{ received: number }> {
  const socket: Socket = connect({ host: "127.0.0.1", port });
  await once(socket, "connect");
  let received = 0;
  socket.on("data", (chunk: Buffer) => {
    received += chunk.length;
  });
  socket.on("error", () => {});
  if (bytes !== undefined) socket.write(bytes);
  await closed(socket);
  return { received };
}

function diagnostics(): { messages: SessionMessage[]; stop(): void } {
  const messages: SessionMessage[] = [];
  const listener = (m: unknown) => messages.push(m as SessionMessage);
  subscribe(CHANNELS.session, listener);
  return { messages, stop: () => unsubscribe(CHANNELS.session, listener) };
}

describe("trusted proxies (CIDR matching)", () => {
  it("matches addresses and blocks of both families, IPv4-mapped peers as IPv4", () => {
    const list = new TrustedProxies(["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"]);
    for (const yes of ["127.0.0.1", "::ffff:127.0.0.1", "10.200.3.4", "::ffff:10.0.0.1", "::1", "fd12:3456::1"]) {
      expect(list.has(yes), yes).toBe(true);
    }
    for (const no of ["127.0.0.2", "11.0.0.1", "::2", "fe80::1", "fc00::1", "::ffff:11.0.0.1", undefined, "x"]) {
      expect(list.has(no), String(no)).toBe(false);
    }
    expect(parseTrustedProxy("10.0.0.0/33")).toBeUndefined();
    expect(parseTrustedProxy("10.0.0.0/08")).toBeUndefined();
    expect(parseTrustedProxy("fd00::/129")).toBeUndefined();
    expect(parseTrustedProxy("localhost")).toBeUndefined();
    expect(parseTrustedProxy("fd00::/8")).toEqual({ family: 6, address: "fd00::", prefix: 8 });
  });

  it("validates the option (an address or a block, at least one, headerTimeout positive)", async () => {
    const { FtpServer } = await import("../server.js");
    const base = { authenticate: () => null };
    expect(() => new FtpServer({ ...base, proxyProtocol: { trustedProxies: ["not-an-ip"] } })).toThrow(/CIDR/);
    expect(() => new FtpServer({ ...base, proxyProtocol: { trustedProxies: [] } })).toThrow();
    expect(() => new FtpServer({ ...base, proxyProtocol: { trustedProxies: ["::1"], headerTimeout: 0 } })).toThrow();
    expect(
      () => new FtpServer({ ...base, proxyProtocol: { trustedProxies: ["10.0.0.0/8", "fd00::/8"] } }),
    ).not.toThrow();
  });
});

describe("PROXY protocol from a trusted proxy", () => {
  it("v1: the header's source is the remote address of authenticate, events and diagnostics", async () => {
    const { t, logins, connects } = await proxied();
    const d = diagnostics();
    try {
      const c = await connectWith(t, formatProxyHeaderV1(CLIENT));
      expect(c.greeting.code).toBe(220);
      await c.login("alice", "secret");
      expect(logins.map((l) => l.remoteAddress)).toEqual(["203.0.113.7"]);
      expect(connects.map((e) => [e.remoteAddress, e.remotePort])).toEqual([["203.0.113.7", 40001]]);
      expect(d.messages).toContainEqual(
        expect.objectContaining({
          type: "proxy-header",
          channel: "control",
          proxyAddress: "127.0.0.1",
          version: 1,
          remoteAddress: "203.0.113.7",
        }),
      );
    } finally {
      d.stop();
    }
  });

  it("v2 (IPv6 source, with TLVs) and the bytes right after the header are the first command", async () => {
    const { t, logins, connects } = await proxied();
    const header = formatProxyHeaderV2(
      {
        command: "proxy",
        addresses: { ...CLIENT, family: 6, sourceAddress: "2001:db8::7", destinationAddress: "2001:db8::1" },
      },
      { tlvs: [{ type: 0x01, value: Buffer.from("ftp") }] },
    );
    // Header and USER in one segment: nothing after the header may be lost.
    const c = await connectWith(t, Buffer.concat([header, Buffer.from("USER alice\r\n")]));
    expect(c.greeting.code).toBe(220);
    expect((await c.nextReply()).code).toBe(331);
    await c.expect("PASS", "secret", 230);
    expect(logins.map((l) => l.remoteAddress)).toEqual(["2001:db8::7"]);
    expect(connects.map((e) => e.remoteAddress)).toEqual(["2001:db8::7"]);
  });

  it("over IPv6 loopback: a trusted proxy at ::1 relays an IPv6 client", async () => {
    const { t, logins } = await proxied({ host: "::1", proxyProtocol: { trustedProxies: ["fd00::/8", "::1"] } });
    const header = formatProxyHeaderV1({
      ...CLIENT,
      family: 6,
      sourceAddress: "2001:db8::42",
      destinationAddress: "::1",
    });
    const c = track(await RawClient.connect(t.port, { host: "::1", preamble: header }));
    await c.login("alice", "secret");
    expect(logins.map((l) => l.remoteAddress)).toEqual(["2001:db8::42"]);
  });

  it("v2 LOCAL and v1 UNKNOWN keep the real peer address", async () => {
    const { t, logins } = await proxied();
    for (const header of [
      formatProxyHeaderV2({ command: "local", addresses: undefined }),
      formatProxyHeaderV1(undefined),
    ]) {
      const c = await connectWith(t, header);
      await c.login("alice", "secret");
    }
    expect(logins.map((l) => l.remoteAddress)).toEqual(["127.0.0.1", "127.0.0.1"]);
  });

  it("implicit FTPS: the header comes before the TLS ClientHello", async () => {
    const { t, logins } = await proxied({ tls: { selfSigned: true, implicitPort: 0 } });
    t.server.on("warning", () => {});
    const implicitPort = t.server.implicitAddress()?.port ?? 0;
    const c = track(
      await RawClient.connect(implicitPort, {
        preamble: formatProxyHeaderV1(CLIENT),
        implicit: { rejectUnauthorized: false },
      }),
    );
    expect(c.greeting.code).toBe(220);
    await c.login("alice", "secret");
    expect(logins.map((l) => l.remoteAddress)).toEqual(["203.0.113.7"]);
  });

  it("a malformed header, data that is not a header, or none in time: closed without a greeting", async () => {
    const { t, connects } = await proxied({ proxyProtocol: { trustedProxies: ["127.0.0.1"], headerTimeout: 300 } });
    const d = diagnostics();
    try {
      // Malformed (TCP4 with an IPv6 address), plain FTP, a bad v2 version, nothing at all.
      const cases = [
        Buffer.from("PROXY TCP4 ::1 ::1 1 2\r\n"),
        Buffer.from("USER alice\r\n"),
        Buffer.concat([
          formatProxyHeaderV2({ command: "local", addresses: undefined }).subarray(0, 12),
          Buffer.of(0x31),
        ]),
        undefined,
      ];
      for (const bytes of cases) expect(await unanswered(t.port, bytes)).toEqual({ received: 0 });
      const failures = d.messages.filter((m) => m.type === "proxy-header-failed").map((m) => m.reason);
      expect(failures).toEqual(["invalid", "invalid", "invalid", "timeout"]);
      expect(connects).toEqual([]);
      // The server goes on serving.
      const c = await connectWith(t, formatProxyHeaderV1(CLIENT));
      await c.login("alice", "secret");
    } finally {
      d.stop();
    }
  });

  it("hundreds of bad, missing and abandoned headers at once: every socket released, no session", async () => {
    const { t, connects } = await proxied({ proxyProtocol: { trustedProxies: ["127.0.0.1"], headerTimeout: 500 } });
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
    const before = sockets();
    const bad = [
      Buffer.from("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n"),
      Buffer.from("GET / HTTP/1.1\r\n\r\n"),
      Buffer.from("PROXY UNKNOWN"), // never finished: the timeout
      undefined, // nothing: the timeout
    ];
    const results = await Promise.all(Array.from({ length: 400 }, (_, i) => unanswered(t.port, bad[i % 4])));
    expect(results.every((r) => r.received === 0)).toBe(true);
    expect(connects).toEqual([]);
    await vi.waitFor(() => expect(sockets()).toBe(before));
    const c = await connectWith(t, formatProxyHeaderV1(CLIENT));
    await c.login("alice", "secret");
  });

  it("an untrusted sender's PROXY line is plain FTP: 500, and its real address is kept", async () => {
    const { t, logins, connects } = await proxied();
    const c = track(await RawClient.connect(t.port, { localAddress: UNTRUSTED }));
    expect(c.greeting.code).toBe(220);
    // An unknown verb: attributed to NOOP for the transcript's sequence check (as commands.test.ts does).
    c.writeRaw("PROXY TCP4 203.0.113.7 198.51.100.1 40001 21\r\n", "NOOP");
    expect((await c.nextReply()).code).toBe(500);
    await c.login("alice", "secret");
    expect(logins.map((l) => l.remoteAddress)).toEqual([UNTRUSTED]);
    expect(connects.map((e) => e.remoteAddress)).toEqual([UNTRUSTED]);
  });

  it("a ban on a proxied address refuses that address (421) and only that one", async () => {
    const { t } = await proxied({ defender: { allowList: [], threshold: 4 } });
    const bans: string[] = [];
    t.server.on("ban", (b) => bans.push(b.address));
    const c = await connectWith(t, formatProxyHeaderV1(CLIENT));
    for (let i = 0; i < 2; i++) {
      await c.expect("USER", "alice", 331);
      await c.send("PASS", "wrong");
    }
    await vi.waitFor(() => expect(bans).toEqual(["203.0.113.7"]));
    await c.closed;
    const again = await connectWith(t, formatProxyHeaderV1(CLIENT));
    expect(again.greeting.code).toBe(421);
    expect(t.server.refusals.banned).toBe(1);
    // Another client through the same proxy, and the proxy's own address, are not banned.
    const other = await connectWith(t, formatProxyHeaderV1({ ...CLIENT, sourceAddress: "203.0.113.8" }));
    expect(other.greeting.code).toBe(220);
    await other.login("alice", "secret");
    const direct = track(await RawClient.connect(t.port, { localAddress: UNTRUSTED }));
    expect(direct.greeting.code).toBe(220);
  });

  it("maxConnectionsPerIp counts the relayed address, not the proxy's", async () => {
    const { t } = await proxied({ limits: { maxConnectionsPerIp: 1 } });
    const first = await connectWith(t, formatProxyHeaderV1(CLIENT));
    expect(first.greeting.code).toBe(220);
    const second = await connectWith(t, formatProxyHeaderV1({ ...CLIENT, sourcePort: 40002 }));
    expect(second.greeting.code).toBe(421);
    const other = await connectWith(t, formatProxyHeaderV1({ ...CLIENT, sourceAddress: "203.0.113.8" }));
    expect(other.greeting.code).toBe(220);
    expect(t.server.refusals["max-connections-per-ip"]).toBe(1);
  });

  it("PORT/EPRT must name the relayed client (RFC 2577 §3), not the proxy", async () => {
    const { t } = await proxied();
    const c = await connectWith(t, formatProxyHeaderV1(CLIENT));
    await c.login("alice", "secret");
    // The proxy (127.0.0.1) is not the client: a bounce attempt.
    await c.expect("EPRT", "|1|127.0.0.1|40000|", 500);
    await c.expect("PORT", "127,0,0,1,156,64", 500);
  });
});

describe("passive data connections through the proxy", () => {
  /** Connects to the passive port from the proxy (127.0.0.1), sending a header with `source`. */
  async function dataVia(port: number, source: string): Promise<Socket> {
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("error", () => {});
    await once(socket, "connect");
    socket.write(
      formatProxyHeaderV2({ command: "proxy", addresses: { ...CLIENT, sourceAddress: source, destinationPort: port } }),
    );
    return socket;
  }

  it("a header naming the control connection's client passes the peer check; a foreign source is refused", async () => {
    const { t } = await proxied();
    const d = diagnostics();
    try {
      const c = await connectWith(t, formatProxyHeaderV1(CLIENT));
      await c.login("alice", "secret");
      await c.expect("TYPE", "I", 200);
      const { port } = await c.epsv();
      // Someone else's connection through the same balancer: refused, the listener keeps waiting.
      const thief = await dataVia(port, "198.51.100.66");
      let stolen = 0;
      thief.on("data", (b: Buffer) => {
        stolen += b.length;
      });
      await closed(thief); // refused, possibly with a reset
      expect(d.messages).toContainEqual(
        expect.objectContaining({ type: "foreign-data-peer", remoteAddress: "198.51.100.66", expected: "203.0.113.7" }),
      );
      const data = await dataVia(port, "203.0.113.7");
      const chunks: Buffer[] = [];
      data.on("data", (b: Buffer) => chunks.push(b));
      c.write("RETR", "hello.txt");
      expect((await c.nextReply()).code).toBe(150);
      await closed(data);
      expect((await c.nextReply()).code).toBe(226);
      expect(Buffer.concat(chunks).toString()).toBe("hello through the balancer\n");
      expect(stolen).toBe(0);
      expect(d.messages).toContainEqual(
        expect.objectContaining({ type: "proxy-header", channel: "data", remoteAddress: "203.0.113.7" }),
      );
    } finally {
      d.stop();
    }
  });

  it("a data connection from the proxy without a valid header is closed; the listener keeps waiting", async () => {
    const { t } = await proxied();
    const d = diagnostics();
    try {
      const c = await connectWith(t, formatProxyHeaderV1(CLIENT));
      await c.login("alice", "secret");
      await c.expect("TYPE", "I", 200);
      const { port } = await c.epsv();
      const bare = connect({ host: "127.0.0.1", port });
      bare.on("error", () => {});
      await once(bare, "connect");
      bare.write("not a PROXY header\r\n");
      await closed(bare);
      expect(d.messages).toContainEqual(
        expect.objectContaining({ type: "proxy-header-failed", channel: "data", reason: "invalid" }),
      );
      const data = await dataVia(port, "203.0.113.7");
      const chunks: Buffer[] = [];
      data.on("data", (b: Buffer) => chunks.push(b));
      c.write("RETR", "hello.txt");
      expect((await c.nextReply()).code).toBe(150);
      await closed(data);
      expect((await c.nextReply()).code).toBe(226);
      expect(Buffer.concat(chunks).toString()).toBe("hello through the balancer\n");
    } finally {
      d.stop();
    }
  });

  it("an upload's first bytes right behind the header reach the file", async () => {
    const { t } = await proxied();
    const c = await connectWith(t, formatProxyHeaderV1(CLIENT));
    await c.login("alice", "secret");
    await c.expect("TYPE", "I", 200);
    const { port } = await c.epsv();
    c.write("STOR", "up.txt");
    const data = connect({ host: "127.0.0.1", port });
    await once(data, "connect");
    const header = formatProxyHeaderV1({ ...CLIENT, destinationPort: port });
    data.end(Buffer.concat([header, Buffer.from("first bytes, same segment as the header\n")]));
    expect((await c.nextReply()).code).toBe(150);
    expect((await c.nextReply()).code).toBe(226);
    // Read it back through the balancer too.
    const back = await c.epsv();
    const socket = connect({ host: "127.0.0.1", port: back.port });
    await once(socket, "connect");
    socket.write(formatProxyHeaderV1({ ...CLIENT, destinationPort: back.port }));
    const chunks: Buffer[] = [];
    socket.on("data", (b: Buffer) => chunks.push(b));
    c.write("RETR", "up.txt");
    expect((await c.nextReply()).code).toBe(150);
    await closed(socket);
    expect((await c.nextReply()).code).toBe(226);
    expect(Buffer.concat(chunks).toString()).toBe("first bytes, same segment as the header\n");
  });
});
