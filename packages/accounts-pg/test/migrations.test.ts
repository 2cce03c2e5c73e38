import { expect, it } from "vitest";
import { AccountStoreError, MIGRATIONS, migrate, SCHEMA_VERSION, schemaVersion } from "../src/index.js";
import { describePostgres, useDatabase } from "./pg-environment.js";

describePostgres("migrate", (server) => {
  const fresh = useDatabase(server, "migrate_fresh", { migrated: false });
  const racing = useDatabase(server, "migrate_race", { migrated: false });
  const failing = useDatabase(server, "migrate_fail", { migrated: false });

  it("creates the schema on a fresh database, then does nothing when run again", async () => {
    const pool = fresh.pool();
    expect(await schemaVersion(pool)).toBe(0);
    expect(await migrate(pool)).toEqual({ applied: MIGRATIONS.map((m) => m.version), version: SCHEMA_VERSION });
    expect(await schemaVersion(pool)).toBe(SCHEMA_VERSION);

    const { rows: tables } = await pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ftpkit' ORDER BY 1",
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      "accounts",
      "defender_bans",
      "defender_scores",
      "schema_migrations",
    ]);
    const { rows: indexes } = await pool.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE schemaname = 'ftpkit' ORDER BY 1",
    );
    expect(indexes.map((i) => i.indexname)).toEqual(
      expect.arrayContaining([
        "accounts_name_key",
        "defender_bans_in_force",
        "defender_bans_pkey",
        "defender_scores_address_at",
        "defender_scores_at",
      ]),
    );

    expect(await migrate(pool)).toEqual({ applied: [], version: SCHEMA_VERSION });
    const { rows } = await pool.query("SELECT version, name FROM ftpkit.schema_migrations");
    expect(rows).toHaveLength(MIGRATIONS.length);
  });

  it("is safe when several nodes start at once (advisory lock): each migration applied exactly once", async () => {
    // Two pools = two nodes, each with several starts racing.
    const a = racing.pool();
    const b = racing.pool();
    const results = await Promise.all([migrate(a), migrate(b), migrate(a), migrate(b), migrate(b)]);
    const applied = results.flatMap((r) => r.applied);
    expect(applied.sort()).toEqual(MIGRATIONS.map((m) => m.version));
    for (const r of results) expect(r.version).toBe(SCHEMA_VERSION);
    const { rows } = await a.query<{ n: string }>("SELECT count(*) AS n FROM ftpkit.schema_migrations");
    expect(Number(rows[0]?.n)).toBe(MIGRATIONS.length);
    // The lock is released: no session still holds it.
    const { rows: locks } = await a.query(`SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
    expect(locks).toHaveLength(0);
  });

  it("rolls a failing migration back, reports it, and leaves the lock free", async () => {
    const pool = failing.pool();
    const bad = [
      ...MIGRATIONS,
      { version: 1000, name: "half done", sql: "CREATE TABLE ftpkit.half (id int); SELECT no_such_function();" },
    ];
    const error = await migrate(pool, { migrations: bad }).catch((e: unknown) => e);
    expect(AccountStoreError.isInstance(error) && error.code).toBe("FTP_ERR_MIGRATION");
    expect((error as Error).message).toMatch(/migration 1000 \(half done\) failed/);
    const { rows } = await pool.query("SELECT to_regclass('ftpkit.half') AS t");
    expect(rows[0].t).toBeNull();
    // The good migrations before it stay applied, and a later run goes ahead (no stuck lock).
    expect(await schemaVersion(pool)).toBe(SCHEMA_VERSION);
    expect(await migrate(pool)).toEqual({ applied: [], version: SCHEMA_VERSION });
  });

  it("refuses to touch a schema newer than it knows", async () => {
    const pool = failing.pool();
    await pool.query("INSERT INTO ftpkit.schema_migrations (version, name) VALUES (9999, 'from the future')");
    const error = await migrate(pool).catch((e: unknown) => e);
    expect(AccountStoreError.isInstance(error) && error.code).toBe("FTP_ERR_SCHEMA_NEWER");
    await pool.query("DELETE FROM ftpkit.schema_migrations WHERE version = 9999");
  });

  it("has the database itself refuse what is not a hashPassword() string, and malformed roots", async () => {
    const pool = fresh.pool();
    const insert = (hash: string, root: string) =>
      pool.query(
        `INSERT INTO ftpkit.accounts (name, password_hash, root_kind, root_path, s3_bucket) VALUES ('x', $1, ${root})`,
        [hash],
      );
    const good = "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=";
    await expect(insert("secret", "'local', '/srv/x', NULL")).rejects.toThrow(/password_hash_check/);
    await expect(insert(good, "'local', NULL, NULL")).rejects.toThrow(/accounts_root_shape/);
    await expect(insert(good, "'local', 'relative', NULL")).rejects.toThrow(/accounts_root_shape/);
    await expect(insert(good, "'s3', '/srv/x', 'bucket'")).rejects.toThrow(/accounts_root_shape/);
    await expect(insert(good, "'s3', NULL, ''")).rejects.toThrow(/accounts_root_shape/);
    await insert(good, "'s3', NULL, 'bucket'");
    await pool.query("DELETE FROM ftpkit.accounts");
  });
});
