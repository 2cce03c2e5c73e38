/**
 * `QuotaUsageStore.reserve`: a store shared by several server nodes (a database row) reserves
 * each new file atomically, so the nodes cannot together store more files than the quota even
 * though each one's `get()` was read before the others' uploads were counted.
 */
import { describe, expect, it } from "vitest";
import { startServer } from "./__tests__/harness.js";
import type { QuotaUsage, QuotaUsageStore } from "./account.js";

/** A store like a database row: `reserve` checks and adds in one step. */
function sharedRow(files: number, quotaFiles: number) {
  const calls: string[] = [];
  let usage: QuotaUsage = { bytes: 0, files };
  const store: QuotaUsageStore = {
    get: () => usage,
    add: (d) => {
      calls.push(`add ${d.bytes} ${d.files}`);
      usage = { bytes: usage.bytes + d.bytes, files: usage.files + d.files };
    },
    reserve: (d) => {
      const fits = usage.files + d.files <= quotaFiles;
      calls.push(`reserve ${d.files}: ${fits}`);
      if (fits) usage = { bytes: usage.bytes + d.bytes, files: usage.files + d.files };
      return fits;
    },
  };
  return { store, calls, usage: () => usage, otherNodeStores: () => (usage = { ...usage, files: usage.files + 1 }) };
}

describe("QuotaUsageStore.reserve", () => {
  it("reserves each new file before its 150; a full row refuses with 552; replacing needs no slot", async () => {
    const row = sharedRow(0, 2);
    const t = await startServer({ account: { quota: { files: 2, usage: row.store } } });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    expect((await c.stor("a", "12345")).final.code).toBe(226);
    // The reservation was the file's count: the upload's own change carries only its bytes.
    expect(row.calls).toEqual(["reserve 1: true", "add 5 0"]);
    // Another node takes the last slot (its upload is counted in the shared row).
    row.otherNodeStores();
    const refused = await c.stor("b", "x").catch((e: unknown) => e);
    expect((refused as { reply?: { code: number } }).reply?.code).toBe(552);
    expect(row.calls.at(-1)).toBe("reserve 1: false");
    // Replacing an existing file adds no file: no reservation, allowed.
    expect((await c.stor("a", "123")).final.code).toBe(226);
    expect(row.calls.at(-1)).toBe("add -2 0");
    await c.expect("DELE", "a", 250);
    expect(row.calls.at(-1)).toBe("add -3 -1");
    expect(row.usage()).toEqual({ bytes: 0, files: 1 });
  });

  it("gives the slot back when the upload left no file", async () => {
    const row = sharedRow(0, 5);
    const t = await startServer({ account: { quota: { files: 5, usage: row.store } } });
    const c = await t.login();
    await c.expect("TYPE", "I", 200);
    // The file system refuses the upload (no such directory) after the slot was reserved.
    const failed = await c.stor("no-such-dir/f", "x").catch((e: unknown) => e);
    expect((failed as { reply?: { code: number } }).reply?.code).toBe(550);
    await expect.poll(() => row.calls.at(-1)).toBe("add 0 -1");
    expect(row.calls).toEqual(["reserve 1: true", "add 0 -1"]);
    expect(row.usage()).toEqual({ bytes: 0, files: 0 });
  });
});
