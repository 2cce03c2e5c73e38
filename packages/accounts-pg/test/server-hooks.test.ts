/**
 * What @ftpkit/server calls on its own when it finds them: the usage store's `reserve` (a new
 * file reserved atomically in the account's row, so nodes sharing the database cannot pass the
 * file quota together) and the defender store's `prune` (run by `Defender.expire`).
 */
import { Defender, hashPassword } from "@ftpkit/server";
import { expect, it } from "vitest";
import { PostgresAccountStore, PostgresDefenderStore } from "../src/index.js";
import { describePostgres, useDatabase } from "./pg-environment.js";

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12);

describePostgres("hooks the server uses", (server) => {
  const db = useDatabase(server, "hooks");

  it("usageStore().reserve: of two nodes racing for the last file slot exactly one gets it", async () => {
    const accounts = new PostgresAccountStore(db.pool());
    await accounts.add({
      name: "quota-files",
      passwordHash: await hashPassword("x", { N: 1024 }),
      root: { kind: "local", path: "/srv/ftp/q" },
      quota: { files: 3 },
    });
    await accounts.recordUpload("quota-files", 10, 2);
    const nodeA = new PostgresAccountStore(db.pool()).usageStore("quota-files");
    const nodeB = new PostgresAccountStore(db.pool()).usageStore("quota-files");
    const got = await Promise.all([nodeA.reserve({ bytes: 0, files: 1 }), nodeB.reserve({ bytes: 0, files: 1 })]);
    expect(got.filter(Boolean)).toHaveLength(1);
    expect(await nodeA.get()).toEqual({ bytes: 10, files: 3 });
    // Giving the slot back (an upload that left no file) makes room again.
    await nodeB.add({ bytes: 0, files: -1 });
    expect(await nodeB.reserve({ bytes: 0, files: 1 })).toBe(true);
  });

  it("Defender.expire prunes the scores that fell out of the observation window", async () => {
    const pool = db.pool();
    const defender = new Defender({ allowList: [], observationWindow: 10 * MIN }, new PostgresDefenderStore(pool));
    await defender.record("192.0.2.10", "login-failed", T0);
    await defender.record("192.0.2.11", "login-failed", T0 + 8 * MIN);
    const count = async () => Number((await pool.query("SELECT count(*) AS n FROM ftpkit.defender_scores")).rows[0].n);
    expect(await count()).toBe(2);
    await defender.expire(T0 + 11 * MIN);
    expect(await count()).toBe(1);
    const { rows } = await pool.query<{ address: string }>("SELECT address FROM ftpkit.defender_scores");
    expect(rows.map((r) => r.address)).toEqual(["192.0.2.11"]);
  });
});
