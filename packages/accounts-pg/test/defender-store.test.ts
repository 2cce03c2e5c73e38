import { Defender } from "@ftpkit/server";
import { expect, it } from "vitest";
import { PostgresDefenderStore } from "../src/index.js";
import { describePostgres, useDatabase } from "./pg-environment.js";

const MIN = 60_000;
/** A realistic clock (2026), so that timestamps are not all near the epoch. */
const T0 = Date.UTC(2026, 0, 1, 12);

describePostgres("PostgresDefenderStore", (server) => {
  const db = useDatabase(server, "defender");

  /** Two server nodes: a Defender each, on its own pool, sharing the database. */
  function twoNodes(options: ConstructorParameters<typeof Defender>[0] = {}) {
    const a = new Defender(options, new PostgresDefenderStore(db.pool()));
    const b = new Defender(options, new PostgresDefenderStore(db.pool()));
    return { a, b };
  }

  it("a ban made on one node refuses the address on the other", async () => {
    const { a, b } = twoNodes({ threshold: 10, scores: { "login-failed": 2 } });
    const bans: unknown[] = [];
    a.on("ban", (ban) => bans.push(ban));
    for (let i = 0; i < 4; i++) expect((await a.record("203.0.113.5", "login-failed", T0 + i)).banned).toBe(false);
    expect(await b.isBanned("203.0.113.5", T0 + 4)).toBe(false);
    expect(await a.record("203.0.113.5", "login-failed", T0 + 5)).toEqual({ banned: true, score: 10 });
    expect(bans).toEqual([{ address: "203.0.113.5", until: new Date(T0 + 5 + 30 * MIN), score: 10, count: 1 }]);
    expect(await b.isBanned("203.0.113.5", T0 + 6)).toBe(true);
    // The same address spelled as an IPv4-mapped IPv6 address, and only that address.
    expect(await b.isBanned("::ffff:203.0.113.5", T0 + 6)).toBe(true);
    expect(await b.isBanned("203.0.113.6", T0 + 6)).toBe(false);
    expect(await b.bans(T0 + 6)).toEqual([{ address: "203.0.113.5", until: new Date(T0 + 5 + 30 * MIN), count: 1 }]);
    // Further offences while banned change nothing.
    expect(await b.record("203.0.113.5", "login-failed", T0 + 7)).toEqual({ banned: true, score: 0 });
  });

  it("adds up offences made on both nodes", async () => {
    const { a, b } = twoNodes({ threshold: 10, scores: { "login-failed": 2 } });
    await a.record("198.51.100.7", "login-failed", T0);
    await b.record("198.51.100.7", "login-failed", T0 + 1);
    await a.record("198.51.100.7", "login-failed", T0 + 2);
    await b.record("198.51.100.7", "login-failed", T0 + 3);
    expect(await b.record("198.51.100.7", "login-failed", T0 + 4)).toEqual({ banned: true, score: 10 });
    expect(await a.isBanned("198.51.100.7", T0 + 5)).toBe(true);
  });

  it("counts offences from many connections on two nodes exactly (per-address lock)", async () => {
    const stores = [new PostgresDefenderStore(db.pool()), new PostgresDefenderStore(db.pool())];
    const totals = await Promise.all(
      Array.from({ length: 100 }, (_, i) => stores[i % 2]!.addScore("192.0.2.77", 1.5, T0 + i, 10 * MIN)),
    );
    // Each call saw every score committed before it: the totals are 1.5, 3, ..., 150, each once.
    expect(totals.sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => 1.5 * (i + 1)));
  });

  it("forgets scores outside the observation window", async () => {
    const { a, b } = twoNodes({ threshold: 5, scores: { "protocol-error": 1 }, observationWindow: 10 * MIN });
    for (let i = 0; i < 4; i++) await (i % 2 ? a : b).record("198.51.100.1", "protocol-error", T0 + i * 5 * MIN);
    expect(await a.isBanned("198.51.100.1", T0 + 16 * MIN)).toBe(false);
    expect((await b.record("198.51.100.1", "protocol-error", T0 + 16 * MIN)).score).toBe(3);
    const store = new PostgresDefenderStore(db.pool());
    // Every address's old scores go (those of the other tests too).
    expect(await store.pruneScores(T0 + 16 * MIN)).toBeGreaterThanOrEqual(2);
    expect(await store.addScore("198.51.100.1", 1, T0 + 16 * MIN, 10 * MIN)).toBe(2);
  });

  it("lifts a ban when it runs out (seen by both nodes), and bans longer the next time", async () => {
    const { a, b } = twoNodes({ threshold: 2, scores: { "bounce-refused": 2 }, banTime: 10 * MIN, banTimeFactor: 3 });
    const unbans: string[] = [];
    b.on("unban", (u) => unbans.push(`${u.address}:${u.reason}`));
    await a.record("192.0.2.1", "bounce-refused", T0);
    expect((await b.bans(T0 + 1)).find((ban) => ban.address === "192.0.2.1")?.until.getTime()).toBe(T0 + 10 * MIN);
    expect(await b.isBanned("192.0.2.1", T0 + 10 * MIN - 1)).toBe(true);
    await b.expire(T0 + 10 * MIN);
    expect(unbans).toEqual(["192.0.2.1:expired"]);
    expect(await a.isBanned("192.0.2.1", T0 + 10 * MIN)).toBe(false);
    expect((await a.bans(T0 + 10 * MIN)).filter((ban) => ban.address === "192.0.2.1")).toEqual([]);

    await b.record("192.0.2.1", "bounce-refused", T0 + 11 * MIN);
    const [second] = (await a.bans(T0 + 11 * MIN)).filter((ban) => ban.address === "192.0.2.1");
    expect(second).toEqual({ address: "192.0.2.1", count: 2, until: new Date(T0 + 11 * MIN + 30 * MIN) });
    await a.expire(T0 + 41 * MIN);
    await a.record("192.0.2.1", "bounce-refused", T0 + 50 * MIN);
    expect((await b.bans(T0 + 50 * MIN)).find((ban) => ban.address === "192.0.2.1")).toEqual({
      address: "192.0.2.1",
      count: 3,
      until: new Date(T0 + 50 * MIN + 90 * MIN),
    });
  });

  it("a stale lift from one node cannot undo a newer ban made by another", async () => {
    const store = new PostgresDefenderStore(db.pool());
    const other = new PostgresDefenderStore(db.pool());
    await store.setBan("192.0.2.50", { until: T0 + MIN, count: 1 });
    // Node B bans again (the first ban ran out and B scored the address anew)...
    await other.setBan("192.0.2.50", { until: T0 + 5 * MIN, count: 2 });
    // ...while node A, having read the old ban, lifts it late.
    await store.setBan("192.0.2.50", { until: T0 + MIN, count: 1, lifted: true });
    expect(await store.getBan("192.0.2.50")).toEqual({ until: T0 + 5 * MIN, count: 2 });
    // Two nodes banning at once: the later end stays.
    await store.setBan("192.0.2.50", { until: T0 + 9 * MIN, count: 3 });
    await other.setBan("192.0.2.50", { until: T0 + 8 * MIN, count: 3 });
    expect(await other.getBan("192.0.2.50")).toEqual({ until: T0 + 9 * MIN, count: 3 });
    await store.setBan("192.0.2.50", { until: T0 + 9 * MIN, count: 3, lifted: true });
    expect(await other.getBan("192.0.2.50")).toEqual({ until: T0 + 9 * MIN, count: 3, lifted: true });
  });

  it("a ban lifted by hand on one node is lifted on the other", async () => {
    const { a, b } = twoNodes({ threshold: 1 });
    await a.record("2001:db8::9", "over-limit", T0);
    expect(await b.isBanned("2001:db8::9", T0 + 1)).toBe(true);
    expect(await b.unban("2001:db8::9")).toBe(true);
    expect(await a.isBanned("2001:db8::9", T0 + 2)).toBe(false);
    expect(await a.unban("2001:db8::9")).toBe(false);
    // The count starts again after a manual unban.
    await a.record("2001:db8::9", "over-limit", T0 + 3);
    expect((await b.bans(T0 + 4)).find((ban) => ban.address === "2001:db8::9")?.count).toBe(1);
    const all = await new PostgresDefenderStore(db.pool()).listBans();
    expect(all.find((ban) => ban.address === "2001:db8::9")).toEqual({
      address: "2001:db8::9",
      until: T0 + 3 + 30 * MIN,
      count: 1,
    });
  });
});
