/**
 * `DefenderStore.prune`: `Defender.expire` (run by the server periodically) lets the store
 * forget scores older than the observation window, those of addresses that never came back.
 */
import { describe, expect, it } from "vitest";
import { Defender } from "./defender.js";
import { type DefenderStore, MemoryDefenderStore } from "./defender-store.js";

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);

describe("DefenderStore.prune", () => {
  it("Defender.expire prunes with the start of the observation window", async () => {
    const inner = new MemoryDefenderStore();
    const pruned: number[] = [];
    const store: DefenderStore = {
      addScore: (...a) => inner.addScore(...a),
      getBan: (a) => inner.getBan(a),
      setBan: (a, b) => inner.setBan(a, b),
      removeBan: (a) => inner.removeBan(a),
      listBans: () => inner.listBans(),
      prune: (before) => {
        pruned.push(before);
        return inner.prune(before);
      },
    };
    const defender = new Defender({ allowList: [], observationWindow: 10 * MIN }, store);
    await defender.expire(T0);
    expect(pruned).toEqual([T0 - 10 * MIN]);
  });

  it("MemoryDefenderStore forgets addresses whose scores all fell out of the window", async () => {
    const store = new MemoryDefenderStore();
    await store.addScore("192.0.2.1", 1, T0, 10 * MIN);
    await store.addScore("192.0.2.2", 1, T0 + 5 * MIN, 10 * MIN);
    expect(await store.prune(T0 + MIN)).toBe(1);
    // 192.0.2.1 starts afresh; 192.0.2.2 keeps its score.
    expect(await store.addScore("192.0.2.1", 1, T0 + 6 * MIN, 10 * MIN)).toBe(1);
    expect(await store.addScore("192.0.2.2", 1, T0 + 6 * MIN, 10 * MIN)).toBe(2);
  });

  it("a store without prune is fine", async () => {
    const inner = new MemoryDefenderStore();
    const store: DefenderStore = {
      addScore: (...a) => inner.addScore(...a),
      getBan: (a) => inner.getBan(a),
      setBan: (a, b) => inner.setBan(a, b),
      removeBan: (a) => inner.removeBan(a),
      listBans: () => inner.listBans(),
    };
    await expect(new Defender({}, store).expire(T0)).resolves.toBeUndefined();
  });
});
