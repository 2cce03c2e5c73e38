import { describe, expect, it } from "vitest";
import { Defender } from "./defender.js";

const MIN = 60_000;

describe("Defender", () => {
  it("bans an address whose score passes the threshold, and only that address", async () => {
    const d = new Defender({ threshold: 10, scores: { "login-failed": 2 } });
    const bans: string[] = [];
    d.on("ban", (b) => bans.push(b.address));
    for (let i = 0; i < 4; i++) expect((await d.record("203.0.113.5", "login-failed", i)).banned).toBe(false);
    expect((await d.record("203.0.113.5", "login-failed", 5)).banned).toBe(true);
    expect(bans).toEqual(["203.0.113.5"]);
    expect(await d.isBanned("203.0.113.5", 6)).toBe(true);
    expect(await d.isBanned("::ffff:203.0.113.5", 6)).toBe(true);
    expect(await d.isBanned("203.0.113.6", 6)).toBe(false);
  });

  it("forgets scores older than the observation window", async () => {
    const d = new Defender({ threshold: 5, scores: { "protocol-error": 1 }, observationWindow: 10 * MIN });
    for (let i = 0; i < 4; i++) await d.record("198.51.100.1", "protocol-error", i * 5 * MIN);
    expect(await d.isBanned("198.51.100.1", 16 * MIN)).toBe(false);
  });

  it("lifts a ban when it runs out, and bans longer the next time", async () => {
    const d = new Defender({ threshold: 2, scores: { "bounce-refused": 2 }, banTime: 10 * MIN, banTimeFactor: 3 });
    const unbans: string[] = [];
    d.on("unban", (u) => unbans.push(`${u.address}:${u.reason}`));
    await d.record("192.0.2.1", "bounce-refused", 0);
    expect((await d.bans(1))[0]?.until.getTime()).toBe(10 * MIN);
    await d.expire(10 * MIN);
    expect(unbans).toEqual(["192.0.2.1:expired"]);
    expect(await d.isBanned("192.0.2.1", 10 * MIN)).toBe(false);
    await d.record("192.0.2.1", "bounce-refused", 11 * MIN);
    const [ban] = await d.bans(11 * MIN);
    expect(ban?.count).toBe(2);
    expect(ban?.until.getTime()).toBe(11 * MIN + 30 * MIN);
  });

  it("never scores the allow-list (addresses and CIDR ranges)", async () => {
    const d = new Defender({ threshold: 1, allowList: ["10.0.0.0/8", "::1"] });
    expect((await d.record("10.1.2.3", "login-failed", 0)).banned).toBe(false);
    expect((await d.record("::1", "login-failed", 0)).banned).toBe(false);
    expect((await d.record("11.0.0.1", "login-failed", 0)).banned).toBe(true);
    expect(() => new Defender({ allowList: ["not-an-ip"] })).toThrow(/allowList/);
  });

  it("lifts a ban by hand and can be switched off", async () => {
    const d = new Defender({ threshold: 1 });
    await d.record("192.0.2.9", "over-limit", 0);
    expect(await d.unban("192.0.2.9")).toBe(true);
    expect(await d.isBanned("192.0.2.9", 1)).toBe(false);
    const off = new Defender({ enabled: false, threshold: 1 });
    expect((await off.record("192.0.2.9", "over-limit", 0)).banned).toBe(false);
  });

  it("validates its options with a message naming the bad key", () => {
    expect(() => new Defender({ threshold: -1 })).toThrow(/threshold/);
    expect(() => new Defender({ bogus: 1 } as never)).toThrow(/bogus/);
  });
});

describe("Defender under a burst", () => {
  it("bans once for a burst of offences recorded at the same moment", async () => {
    const d = new Defender({ threshold: 5, allowList: [] });
    const bans: number[] = [];
    d.on("ban", (b) => bans.push(b.count));
    const results = await Promise.all(Array.from({ length: 50 }, () => d.record("192.0.2.7", "protocol-error", 0)));
    expect(bans).toEqual([1]);
    expect(results.filter((r) => r.banned)).toHaveLength(46);
  });
});
