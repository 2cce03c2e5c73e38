import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as server from "@ftpkit/server";
import { type Account, type Authenticator, LocalFileSystem, MemoryFileSystem } from "@ftpkit/server";
import { S3FileSystem } from "@ftpkit/storage-s3";
import { afterAll, beforeAll, beforeEach, expect, it, vi } from "vitest";
import {
  type AccountRecord,
  type AccountRoot,
  AccountStoreError,
  createPostgresAuthenticator,
  type PostgresAccount,
  PostgresAccountStore,
} from "../src/index.js";
import { createFileSystemFor, credentialsEnvPrefix } from "../src/s3.js";
import { describePostgres, useDatabase } from "./pg-environment.js";

// Spy on scrypt verification to see which hash each login was checked against.
vi.mock("@ftpkit/server", async (importOriginal) => {
  const original = await importOriginal<typeof import("@ftpkit/server")>();
  return { ...original, verifyPassword: vi.fn(original.verifyPassword) };
});
const verify = vi.mocked(server.verifyPassword);

const request = (user: string, password: string) => ({ user, password, remoteAddress: "127.0.0.1", connectionId: 1 });

/** The account an authenticator returns for a login that must succeed. */
async function loggedIn(authenticate: Authenticator, user: string, password: string): Promise<Account> {
  const account = await authenticate(request(user, password));
  if (!account) throw new Error(`${user} was refused`);
  return account;
}

describePostgres("createPostgresAuthenticator", (serverUrl) => {
  const db = useDatabase(serverUrl, "auth");
  let store: PostgresAccountStore;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ftpkit-accounts-auth-"));
    store = new PostgresAccountStore(db.pool());
    // The default cost, as `ftpkit-accounts add` stores it: the timing comparison needs real work.
    const hash = await server.hashPassword("right");
    await store.add({
      name: "alice",
      passwordHash: hash,
      root: { kind: "local", path: dir },
      home: "/in",
      permissions: ["list", "read"],
      fxp: true,
      tls: "required",
      maxSessions: 2,
      quota: { bytes: 1_000_000, files: 10 },
      bandwidth: { download: 500_000 },
    });
    await store.add({ name: "plain", passwordHash: hash, root: { kind: "local", path: dir } });
    await store.add({ name: "off", passwordHash: hash, root: { kind: "local", path: dir }, enabled: false });
    await store.add({
      name: "s3user",
      passwordHash: hash,
      root: { kind: "s3", bucket: "ftp", prefix: "users/s3user/", endpoint: "http://127.0.0.1:1", credentials: "main" },
    });
    await store.add({
      name: "s3other",
      passwordHash: hash,
      root: {
        kind: "s3",
        bucket: "ftp",
        prefix: "users/s3other/",
        endpoint: "http://127.0.0.1:1",
        credentials: "main",
      },
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => verify.mockClear());

  it("logs in with the right password and maps the row to an Account", async () => {
    const authenticate = createPostgresAuthenticator(db.pool());
    const account = await loggedIn(authenticate, "alice", "right");
    expect(account).toMatchObject({
      permissions: ["list", "read"],
      home: "/in",
      fxp: true,
      tls: "required",
      maxSessions: 2,
      quota: { bytes: 1_000_000, files: 10, usage: expect.any(Object) },
      bandwidth: { download: 500_000 },
    });
    expect(account.fs).toBeInstanceOf(LocalFileSystem);
    expect((account.fs as LocalFileSystem).root).toBe(dir);
    // Defaults: everything allowed, no limits, the server's TLS policy.
    const plain = await authenticate(request("plain", "right"));
    expect(plain).toMatchObject({ permissions: "all", home: "/", fxp: false });
    expect(plain).not.toHaveProperty("tls");
    expect(plain).not.toHaveProperty("maxSessions");
    // No limits, but the usage store is attached, counting into the row.
    expect(Object.keys((plain as PostgresAccount).quota ?? {})).toEqual(["usage"]);
    const usage = (plain as PostgresAccount).quota?.usage;
    await usage?.add({ bytes: 1234, files: 2 });
    await usage?.add({ bytes: -234, files: -1 });
    expect(await usage?.get()).toEqual({ bytes: 1000, files: 1 });
    expect((await store.get("plain"))?.usage).toEqual({ bytes: 1000, files: 1 });
    await store.setUsage("plain", { bytes: 0, files: 0 });
    // countUsage: false leaves it to accounts with a quota.
    const quiet = createPostgresAuthenticator(db.pool(), { countUsage: false });
    expect(await loggedIn(quiet, "plain", "right")).not.toHaveProperty("quota");
    expect(Object.keys((await loggedIn(quiet, "alice", "right")) as PostgresAccount)).toContain("quota");
  });

  it("refuses a wrong password, a disabled account and an unknown user, checking a hash every time", async () => {
    const authenticate = createPostgresAuthenticator(db.pool());
    await authenticate(request("plain", "right")); // the dummy hash is made by now
    verify.mockClear();

    expect(await authenticate(request("alice", "wrong"))).toBeNull();
    expect(await authenticate(request("off", "right"))).toBeNull();
    expect(await authenticate(request("nobody", "right"))).toBeNull();
    expect(await authenticate(request("x".repeat(300), "right"))).toBeNull();
    expect(await authenticate(request("nul\0l", "right"))).toBeNull();
    expect(verify).toHaveBeenCalledTimes(5);
    const [, storedHash] = verify.mock.calls[0] ?? [];
    const [, dummyHash] = verify.mock.calls[2] ?? [];
    expect(storedHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    // Unknown users are checked against a dummy hash of the same cost.
    expect(dummyHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(dummyHash).not.toBe(storedHash);
    expect(verify.mock.calls[3]?.[1]).toBe(dummyHash);
    expect(verify.mock.calls[4]?.[1]).toBe(dummyHash);
  });

  it("takes about as long for an unknown name as for a wrong password (no timing oracle)", async () => {
    const authenticate = createPostgresAuthenticator(db.pool());
    await authenticate(request("nobody", "warm-up"));
    // Interleaved, so that a busy machine slows both alike.
    let known = 0;
    let unknown = 0;
    for (let i = 0; i < 4; i++) {
      for (const user of ["alice", "nobody"]) {
        const t0 = performance.now();
        await authenticate(request(user, "wrong"));
        if (user === "alice") known += performance.now() - t0;
        else unknown += performance.now() - t0;
      }
    }
    // scrypt (N = 2^15) dominates both; a skipped hash would make the unknown name ~100x faster.
    expect(unknown).toBeGreaterThan(known / 4);
    expect(known).toBeGreaterThan(unknown / 4);
  });

  it("serves S3 roots with S3FileSystem (bucket and prefix from the row, one client per credentials name)", async () => {
    const env = {
      [`${credentialsEnvPrefix("main")}ACCESS_KEY_ID`]: "AKIDEXAMPLE",
      [`${credentialsEnvPrefix("main")}SECRET_ACCESS_KEY`]: "secret",
    };
    const fileSystemFor = createFileSystemFor({ env });
    const seen: AccountRoot[] = [];
    const authenticate = createPostgresAuthenticator(db.pool(), {
      fileSystemFor: (root) => {
        seen.push(root);
        return fileSystemFor(root);
      },
    });
    const fsA = (await loggedIn(authenticate, "s3user", "right")).fs as S3FileSystem;
    const fsB = (await loggedIn(authenticate, "s3other", "right")).fs as S3FileSystem;
    expect(fsA).toBeInstanceOf(S3FileSystem);
    expect([fsA.bucket, fsA.prefix, fsB.prefix]).toEqual(["ftp", "users/s3user/", "users/s3other/"]);
    expect(fsB.client).toBe(fsA.client);
    expect(await fsA.client.config.credentials()).toMatchObject({ accessKeyId: "AKIDEXAMPLE" });
    expect(seen[0]).toEqual({
      kind: "s3",
      bucket: "ftp",
      prefix: "users/s3user/",
      endpoint: "http://127.0.0.1:1",
      credentials: "main",
    });
    // Local roots still get LocalFileSystem.
    expect((await loggedIn(authenticate, "plain", "right")).fs).toBeInstanceOf(LocalFileSystem);
    fileSystemFor.destroy();

    // A credentials name nobody configured fails the login loudly (the server reports it).
    const bare = createPostgresAuthenticator(db.pool(), { fileSystemFor: createFileSystemFor({ env: {} }) });
    const error = await Promise.resolve(bare(request("s3user", "right"))).catch((e: unknown) => e);
    expect(AccountStoreError.isInstance(error) && error.code).toBe("FTP_ERR_ACCOUNT_ROOT");
    expect((error as Error).message).toContain("FTPKIT_S3_MAIN_ACCESS_KEY_ID");
    // Without S3 support an S3 root is an error too, never a local directory.
    const localOnly = createPostgresAuthenticator(db.pool());
    await expect(Promise.resolve(localOnly(request("s3user", "right")))).rejects.toThrow(/storage-s3/);
  });

  it("lets the application adjust the Account", async () => {
    const records: AccountRecord[] = [];
    const authenticate = createPostgresAuthenticator(db.pool(), {
      fileSystemFor: () => new MemoryFileSystem(),
      account: (account, record) => {
        records.push(record);
        return { ...account, maxSessions: 1 };
      },
    });
    const account = await loggedIn(authenticate, "plain", "right");
    expect(account).toMatchObject({ maxSessions: 1 });
    expect(account.fs).toBeInstanceOf(MemoryFileSystem);
    expect(records[0]).toMatchObject({ name: "plain", enabled: true, usage: { bytes: 0, files: 0 } });
  });
});
