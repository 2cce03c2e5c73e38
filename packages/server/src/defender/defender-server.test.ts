/**
 * The defender wired into the server: every offence the server reports is scored against the
 * address that committed it, a banned address is refused at accept (421, counted) and its
 * sessions are ended, bans and unbans are server events, and clients from other addresses
 * (127.0.0.2: Linux routes all of 127/8 to lo) are never affected.
 */
import { connect } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { startServer, type TestServer } from "../__tests__/harness.js";
import { RawClient } from "../__tests__/raw-client.js";
import type { FtpServerError } from "../errors/index.js";
import type { BanEvent, UnbanEvent } from "../events.js";
import { type BanRecord, type DefenderStore, MemoryDefenderStore } from "./defender-store.js";

const OTHER = "127.0.0.2";

function watch(t: TestServer) {
  const bans: BanEvent[] = [];
  const unbans: UnbanEvent[] = [];
  const errors: FtpServerError[] = [];
  t.server.on("ban", (b) => bans.push(b));
  t.server.on("unban", (u) => unbans.push(u));
  t.server.on("error", (e) => errors.push(e));
  return { bans, unbans, errors };
}

/** Connects; resolves to the client, or to "refused" when the greeting is 421. */
async function tryConnect(t: TestServer, localAddress?: string): Promise<RawClient | "refused"> {
  const c = await t.connect(localAddress === undefined ? {} : { localAddress });
  if (c.greeting.code === 421) {
    await c.closed;
    return "refused";
  }
  return c;
}

/** Sends `line` and waits for its reply, or for the connection to end (a ban cuts it). */
async function answer(c: RawClient, verb: Parameters<RawClient["send"]>[0], arg?: string): Promise<number> {
  try {
    return (await c.send(verb, arg)).code;
  } catch {
    return 0;
  }
}

describe("brute force", () => {
  it("bans an address after its wrong passwords; another address logs in normally", async () => {
    const t = await startServer({ defender: { allowList: [] } });
    const { bans } = watch(t);
    let delivered = 0;
    let refusedAt = -1;
    let refused = 0;
    for (let attempt = 0; attempt < 100; ) {
      const c = await tryConnect(t);
      if (c === "refused") {
        refusedAt = refusedAt === -1 ? attempt : refusedAt;
        refused++;
        attempt++;
        continue;
      }
      // Up to maxLoginAttempts (3) wrong passwords per connection, as a guessing tool does.
      for (let i = 0; i < 3 && attempt < 100 && !c.isClosed; i++, attempt++) {
        if ((await answer(c, "USER", "alice")) !== 331) break;
        const code = await answer(c, "PASS", `guess-${attempt}`);
        if (code === 530 || code === 421) delivered++;
        if (code !== 530) break;
      }
      c.destroy();
    }
    // threshold 15, 2 points per failure: the 8th wrong password bans.
    expect(delivered).toBe(8);
    expect(refused).toBeGreaterThanOrEqual(90);
    expect(bans.map((b) => [b.address, b.count])).toEqual([["127.0.0.1", 1]]);
    expect(bans[0]?.until.getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);
    expect(t.server.refusals.banned).toBe(refused);
    // The right password does not help the banned address...
    expect(await tryConnect(t)).toBe("refused");
    // ...while another address logs in and works as usual.
    const other = await t.connect({ localAddress: OTHER });
    expect(other.greeting.code).toBe(220);
    await other.login("alice", "secret");
    expect((await other.send("PWD")).code).toBe(257);
    expect(await other.list("NLST")).toBe("");
    expect(await t.server.defender.bans(Date.now())).toHaveLength(1);
  });

  it("ends the banned address's open sessions with 421, logged in or not", async () => {
    const t = await startServer({ defender: { allowList: [], threshold: 4 } });
    const busy = await t.login();
    const other = await t.connect({ localAddress: OTHER });
    await other.login("alice", "secret");
    const guesser = await t.connect();
    await guesser.expect("USER", "alice", 331);
    expect((await guesser.send("PASS", "x")).code).toBe(530);
    await guesser.expect("USER", "alice", 331);
    expect([421, 530]).toContain((await guesser.send("PASS", "y")).code);
    await Promise.all([busy.closed, guesser.closed]);
    expect(busy.transcript.at(-1)?.code).toBe(421);
    expect((await other.send("NOOP")).code).toBe(200);
  });
});

describe("every offence is scored", () => {
  it("malformed lines before login (binary garbage, NUL, over-long) ban; empty lines do not count", async () => {
    const t = await startServer({ defender: { allowList: [], threshold: 6 } });
    const { bans } = watch(t);
    const c = await t.connect();
    for (let i = 0; i < 20; i++) c.writeRaw("\r\n", "NOOP");
    c.write("NOOP");
    for (let i = 0; i < 20; i++) expect((await c.nextReply()).code).toBe(500);
    expect((await c.nextReply()).code).toBe(200);
    expect(bans).toEqual([]);
    // Each reply is attributed to a verb that may get it, for the sequence check.
    c.writeRaw(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x0d, 0x0a]), "NOOP");
    c.writeRaw("RETR a\0b\r\n", "RETR");
    c.writeRaw(`${"A".repeat(10_000)}\r\n`, "NOOP");
    c.writeRaw("GET / HTTP/1.1\r\n", "NOOP");
    c.writeRaw("Host: x\r\n", "NOOP");
    c.writeRaw("PORT 1,2,3\r\n", "PORT");
    await c.closed;
    expect(bans.map((b) => b.address)).toEqual(["127.0.0.1"]);
    expect(c.transcript.at(-1)?.code).toBe(421);
    expect(await tryConnect(t)).toBe("refused");
  });

  it("does not score unknown verbs after login (clients probe for extensions)", async () => {
    const t = await startServer({ defender: { allowList: [], threshold: 3 } });
    const { bans } = watch(t);
    const c = await t.login();
    for (const verb of ["CLNT", "AVBL", "XCRC", "CSID", "MODE Z"]) {
      c.writeRaw(`${verb} x\r\n`, "NOOP");
      expect((await c.nextReply()).code).toBeGreaterThanOrEqual(500);
    }
    expect((await c.send("NOOP")).code).toBe(200);
    expect(bans).toEqual([]);
  });

  it("scores refused PORT/EPRT targets (RFC 2577 §3 bounce)", async () => {
    const t = await startServer({ defender: { allowList: [], threshold: 10 } });
    const { bans } = watch(t);
    const c = await t.login();
    expect((await c.send("PORT", "127,0,0,2,200,10")).code).toBe(500);
    expect((await c.send("PORT", "127,0,0,1,0,21")).code).toBe(504);
    await c.closed;
    expect(bans.map((b) => b.address)).toEqual(["127.0.0.1"]);
  });

  it("scores a data-connection thief (RFC 2577 §8) and not the client it tried to rob", async () => {
    const t = await startServer({ defender: { allowList: [], threshold: 5 }, files: { "/f": "payload" } });
    const { bans } = watch(t);
    const c = await t.login();
    const target = await c.pasv();
    const thief = connect({ host: target.host, port: target.port, localAddress: OTHER });
    thief.on("error", () => {}); // refused with a reset (ECONNRESET)
    await new Promise((resolve) => thief.once("close", resolve));
    await vi.waitFor(() => expect(bans.map((b) => b.address)).toEqual([OTHER]));
    // The real client's transfer goes on over the same listener.
    const data = await RawClient.connectData(target);
    const reply = await c.send("RETR", "f");
    expect(reply.code).toBe(150);
    const chunks: Buffer[] = [];
    for await (const chunk of data) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("payload");
    expect((await c.nextReply()).code).toBe(226);
    expect(await tryConnect(t, OTHER)).toBe("refused");
  });

  it("scores connections over maxConnectionsPerIp and logins over maxSessions", async () => {
    const t = await startServer({
      defender: { allowList: [], threshold: 9 },
      limits: { maxConnectionsPerIp: 2 },
      account: { maxSessions: 1 },
    });
    const { bans } = watch(t);
    const a = await t.login();
    const b = await t.connect();
    await b.expect("USER", "alice", 331);
    expect((await b.send("PASS", "secret")).code).toBe(421); // over maxSessions: 3 points
    await b.closed;
    await vi.waitFor(() => expect(t.server.connectionCount).toBe(1));
    const held = await t.connect();
    expect(held.greeting.code).toBe(220);
    expect(await tryConnect(t)).toBe("refused"); // over maxConnectionsPerIp: 3 points
    expect(bans).toEqual([]);
    expect(await tryConnect(t)).toBe("refused"); // 9: banned
    await vi.waitFor(() => expect(bans.map((x) => x.address)).toEqual(["127.0.0.1"]));
    await Promise.all([a.closed, held.closed]);
    expect(t.server.refusals["max-connections-per-ip"]).toBe(2);
  });

  it("scores sessions that never log in (login timeout), not those that QUIT", async () => {
    const t = await startServer({ defender: { allowList: [], threshold: 3 }, limits: { loginTimeout: 150 } });
    const { bans } = watch(t);
    for (let i = 0; i < 5; i++) {
      const polite = await t.connect();
      await polite.quit();
    }
    expect(bans).toEqual([]);
    const idle = await Promise.all([t.connect(), t.connect(), t.connect()]);
    await Promise.all(idle.map((c) => c.closed));
    await vi.waitFor(() => expect(bans.map((b) => b.address)).toEqual(["127.0.0.1"]));
  });

  it("scores a command flood that ends in 421", async () => {
    const t = await startServer({
      defender: { allowList: [], threshold: 3 },
      limits: { commandRate: 50, commandBurst: 10, floodTimeout: 300 },
    });
    const { bans } = watch(t);
    const c = await t.login();
    for (let i = 0; i < 2000 && !c.isClosed; i++) c.write("NOOP");
    await c.closed;
    expect(c.transcript.at(-1)?.code).toBe(421);
    await vi.waitFor(() => expect(bans.map((b) => b.address)).toEqual(["127.0.0.1"]));
  });
});

describe("allow-list, expiry, off switch and store", () => {
  it("never bans loopback by default (fail2ban's ignoreip), nor an allow-listed address", async () => {
    for (const defender of [undefined, { allowList: ["127.0.0.1"] }]) {
      const t = await startServer(defender === undefined ? {} : { defender });
      const { bans } = watch(t);
      for (let i = 0; i < 4; i++) {
        const c = await t.connect();
        for (let j = 0; j < 3; j++) {
          await c.expect("USER", "alice", 331);
          expect((await c.send("PASS", "wrong")).code).toBe(530);
        }
        await c.closed;
      }
      expect(bans).toEqual([]);
      expect((await t.login()).isClosed).toBe(false);
    }
  });

  it("lifts a ban when it runs out (unban event), then bans again for longer", async () => {
    const t = await startServer({ defender: { allowList: [], threshold: 2, banTime: 300 } });
    const { bans, unbans } = watch(t);
    const offend = async () => {
      const c = await t.login();
      await c.send("PORT", "127,0,0,2,200,10").catch(() => undefined);
      await c.closed;
    };
    await offend();
    expect(bans.map((b) => b.count)).toEqual([1]);
    expect(await tryConnect(t)).toBe("refused");
    await vi.waitFor(() => expect(unbans).toEqual([{ address: "127.0.0.1", reason: "expired" }]), { timeout: 3000 });
    await offend();
    expect(bans.map((b) => b.count)).toEqual([1, 2]);
    expect(bans[1]?.until.getTime()).toBeGreaterThan(Date.now() + 450);
    // By hand: unban() lifts at once.
    expect(await t.server.defender.unban("127.0.0.1")).toBe(true);
    expect(unbans.at(-1)).toEqual({ address: "127.0.0.1", reason: "manual" });
    expect(await tryConnect(t)).not.toBe("refused");
  });

  it("does nothing with defender: false", async () => {
    const t = await startServer({ defender: false });
    const c = await t.login();
    for (let i = 0; i < 5; i++) expect((await c.send("PORT", "127,0,0,2,200,10")).code).toBe(500);
    expect(t.server.defender.options.enabled).toBe(false);
    expect((await c.send("NOOP")).code).toBe(200);
  });

  it("keeps scores and bans in the store it is given", async () => {
    const calls: string[] = [];
    const inner = new MemoryDefenderStore();
    const store: DefenderStore = {
      addScore: (...a) => {
        calls.push("addScore");
        return inner.addScore(...a);
      },
      getBan: (a) => {
        calls.push("getBan");
        return inner.getBan(a);
      },
      setBan: (a: string, b: BanRecord) => {
        calls.push("setBan");
        return inner.setBan(a, b);
      },
      removeBan: (a) => inner.removeBan(a),
      listBans: () => inner.listBans(),
    };
    const t = await startServer({ defender: { allowList: [], threshold: 2, store } });
    const c = await t.login();
    await c.send("PORT", "127,0,0,2,200,10").catch(() => undefined);
    await c.closed;
    expect(calls).toContain("addScore");
    expect(calls).toContain("setBan");
    expect((await inner.getBan("127.0.0.1"))?.count).toBe(1);
    // A second server sharing the store refuses the address at once.
    const t2 = await startServer({ defender: { allowList: [], store } });
    expect(await tryConnect(t2)).toBe("refused");
  });

  it("lets connections in when the store fails or hangs, and reports it", async () => {
    const broken: DefenderStore = {
      addScore: async () => {
        throw new Error("database down");
      },
      getBan: () => new Promise(() => {}),
      setBan: async () => {},
      removeBan: async () => false,
      listBans: async () => [],
    };
    const t = await startServer({ defender: { allowList: [], store: broken, checkTimeout: 100 } });
    const { errors } = watch(t);
    const c = await t.login();
    await c.send("PORT", "127,0,0,2,200,10");
    expect((await c.send("NOOP")).code).toBe(200);
    await vi.waitFor(() => expect(errors.map((e) => e.code)).toContain("FTP_ERR_DEFENDER"));
  });
});
