import { hashPassword } from "@ftpkit/server";
import { beforeAll, expect, it } from "vitest";
import { AccountStoreError, PostgresAccountStore } from "../src/index.js";
import { describePostgres, useDatabase } from "./pg-environment.js";

const FAST = { N: 1024 } as const;

describePostgres("PostgresAccountStore", (server) => {
  const db = useDatabase(server, "store");
  let store: PostgresAccountStore;
  let hash: string;
  beforeAll(async () => {
    store = new PostgresAccountStore(db.pool());
    hash = await hashPassword("secret", FAST);
  });

  it("adds, reads, lists, changes and removes accounts (never returning the hash)", async () => {
    const alice = await store.add({
      name: "alice",
      passwordHash: hash,
      root: { kind: "local", path: "/srv/ftp/alice" },
      home: "/in",
      permissions: ["read", "list", "write", "read"],
      fxp: true,
      tls: "required",
      maxSessions: 3,
      quota: { bytes: 10 * 2 ** 30, files: 1000 },
      bandwidth: { upload: 1_000_000, download: 2_000_000 },
    });
    expect(alice).toMatchObject({
      name: "alice",
      enabled: true,
      root: { kind: "local", path: "/srv/ftp/alice" },
      home: "/in",
      permissions: ["list", "read", "write"],
      fxp: true,
      tls: "required",
      maxSessions: 3,
      quota: { bytes: 10 * 2 ** 30, files: 1000 },
      usage: { bytes: 0, files: 0 },
      bandwidth: { upload: 1_000_000, download: 2_000_000 },
    });
    expect(JSON.stringify(alice)).not.toContain("scrypt");
    expect(alice.createdAt).toBeInstanceOf(Date);

    await store.add({
      name: "bob",
      passwordHash: hash,
      root: { kind: "s3", bucket: "ftp", prefix: "users/bob/", endpoint: "http://127.0.0.1:9000", credentials: "main" },
      permissions: "read-only",
    });
    const bob = await store.get("bob");
    expect(bob).toMatchObject({
      root: { kind: "s3", bucket: "ftp", prefix: "users/bob/", endpoint: "http://127.0.0.1:9000", credentials: "main" },
      permissions: "read-only",
      home: "/",
      fxp: false,
      quota: {},
      bandwidth: {},
    });
    expect(bob).not.toHaveProperty("tls");
    expect(bob).not.toHaveProperty("maxSessions");
    expect((await store.list()).map((a) => a.name)).toEqual(["alice", "bob"]);

    const changed = await store.update("alice", {
      tls: null,
      maxSessions: null,
      quota: { bytes: null },
      permissions: "all",
      root: { kind: "s3", bucket: "b" },
    });
    expect(changed).toMatchObject({
      permissions: "all",
      quota: { files: 1000 },
      root: { kind: "s3", bucket: "b", prefix: "" },
    });
    expect(changed).not.toHaveProperty("tls");
    expect(changed?.quota).not.toHaveProperty("bytes");
    expect(changed!.updatedAt.getTime()).toBeGreaterThanOrEqual(alice.updatedAt.getTime());
    expect(await store.update("nobody", { fxp: true })).toBeUndefined();

    expect(await store.setEnabled("bob", false)).toBe(true);
    expect((await store.get("bob"))?.enabled).toBe(false);
    expect(await store.setPassword("bob", await hashPassword("other", FAST))).toBe(true);
    expect(await store.setPassword("nobody", hash)).toBe(false);
    expect(await store.remove("bob")).toBe(true);
    expect(await store.remove("bob")).toBe(false);
    expect(await store.get("bob")).toBeUndefined();
  });

  it("refuses a taken name, plain passwords and bad fields, naming the field", async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "resolved",
        (e: unknown) => (AccountStoreError.isInstance(e) ? `${e.code}: ${e.message}` : String(e)),
      );
    const root = { kind: "local", path: "/srv/x" } as const;
    await store.add({ name: "carol", passwordHash: hash, root });
    expect(await code(store.add({ name: "carol", passwordHash: hash, root }))).toMatch(/^FTP_ERR_ACCOUNT_EXISTS/);
    const plain = await code(store.add({ name: "dave", passwordHash: "hunter2", root }));
    expect(plain).toMatch(/^FTP_ERR_ACCOUNT_INVALID: passwordHash: must be a hashPassword\(\) string/);
    expect(plain).not.toContain("hunter2");
    expect(await code(store.setPassword("carol", "hunter2"))).toMatch(/FTP_ERR_ACCOUNT_INVALID/);
    expect(await code(store.add({ name: "dave", passwordHash: hash, root: { kind: "local", path: "rel" } }))).toMatch(
      /root.path: must be an absolute path/,
    );
    expect(await code(store.add({ name: "d\nave", passwordHash: hash, root }))).toMatch(/name/);
    expect(await code(store.add({ name: "dave", passwordHash: hash, root, home: "in" }))).toMatch(/home/);
    expect(await code(store.add({ name: "dave", passwordHash: hash, root, permissions: ["fly" as never] }))).toMatch(
      /permissions/,
    );
    expect(await code(store.add({ name: "dave", passwordHash: hash, root, quota: { bytes: -1 } }))).toMatch(
      /quota.bytes/,
    );
    expect(
      await code(
        store.add({ name: "dave", passwordHash: hash, root: { kind: "s3", bucket: "b", credentials: "a b" } }),
      ),
    ).toMatch(/root.credentials/);
    expect(await store.get("dave")).toBeUndefined();
  });

  it("counts usage exactly under parallel uploads from two nodes", async () => {
    await store.add({ name: "uploader", passwordHash: hash, root: { kind: "local", path: "/srv/u" } });
    const other = new PostgresAccountStore(db.pool());
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? store : other).recordUpload("uploader", 1000 + i, 1)),
    );
    const expectedBytes = Array.from({ length: 200 }, (_, i) => 1000 + i).reduce((a, b) => a + b, 0);
    expect(await store.usage("uploader")).toEqual({ bytes: expectedBytes, files: 200, quota: {} });
    // Every intermediate total was seen once: the increments never overlapped.
    expect(new Set(results.map((r) => r?.files)).size).toBe(200);
    // Deletions count down, never below zero.
    expect(await store.recordDelete("uploader", 1000, 1)).toEqual({ bytes: expectedBytes - 1000, files: 199 });
    expect(await store.recordDelete("uploader", 10 ** 12, 1000)).toEqual({ bytes: 0, files: 0 });
    expect(await store.recordUpload("nobody", 1)).toBeUndefined();
    expect(await store.usage("nobody")).toBeUndefined();
    await expect(store.recordUpload("uploader", 1.5)).rejects.toThrow(RangeError);
    expect(await store.setUsage("uploader", { bytes: 42, files: 2 })).toBe(true);
    expect((await store.get("uploader"))?.usage).toEqual({ bytes: 42, files: 2 });
    // The server's view of it: quota.usage.
    const usage = store.usageStore("uploader");
    await Promise.all(Array.from({ length: 50 }, () => usage.add({ bytes: 10, files: 1 })));
    expect(await usage.get()).toEqual({ bytes: 542, files: 52 });
    const gone = await store
      .usageStore("nobody")
      .get()
      .catch((e: unknown) => e);
    expect(AccountStoreError.isInstance(gone) && gone.message).toBe("account nobody no longer exists");
  });

  it("reserves within quota atomically: of parallel reservations exactly those that fit succeed", async () => {
    await store.add({
      name: "quota",
      passwordHash: hash,
      root: { kind: "local", path: "/srv/q" },
      quota: { bytes: 100_000, files: 50 },
    });
    const other = new PostgresAccountStore(db.pool());
    const files = await Promise.all(
      Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? store : other).reserve("quota", 10, 1)),
    );
    expect(files.filter((r) => r.ok)).toHaveLength(50);
    expect(files.find((r) => !r.ok)).toMatchObject({ ok: false, exceeded: "files", usage: { files: 50 } });
    expect(await store.usage("quota")).toEqual({ bytes: 500, files: 50, quota: { bytes: 100_000, files: 50 } });

    const bytes = await Promise.all(Array.from({ length: 30 }, () => store.reserve("quota", 10_000, 0)));
    expect(bytes.filter((r) => r.ok)).toHaveLength(9); // 500 + 9 * 10,000 <= 100,000 < 500 + 10 * 10,000
    expect(bytes.find((r) => !r.ok)).toMatchObject({ exceeded: "bytes" });
    // Giving back always works.
    expect(await store.reserve("quota", -90_000, -10)).toEqual({ ok: true, usage: { bytes: 500, files: 40 } });
    expect(await store.reserve("nobody", 1)).toEqual({ ok: false });
    // Unlimited accounts always fit.
    expect((await store.reserve("uploader", 10 ** 15, 10 ** 6)).ok).toBe(true);
  });
});
