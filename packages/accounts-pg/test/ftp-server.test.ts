/**
 * End to end: FtpServer authenticating against the accounts table, driven by curl (a real FTP
 * client): an account added through the store logs in and uploads into its local root; a
 * wrong password, a disabled account and an unknown user are refused; permissions and home
 * come from the row; uploads are counted against the account's usage.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FtpServer, hashPassword } from "@ftpkit/server";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createPostgresAuthenticator, PostgresAccountStore } from "../src/index.js";
import { describePostgres, useDatabase } from "./pg-environment.js";

interface CurlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function curl(args: readonly string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile("/usr/bin/curl", ["--silent", "--show-error", "--max-time", "30", ...args], (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** curl's exit code for a refused login (530). */
const LOGIN_DENIED = 67;

describePostgres("FtpServer with the Postgres authenticator", (server) => {
  const db = useDatabase(server, "ftp");
  let ftp: FtpServer;
  let store: PostgresAccountStore;
  let work: string;
  let port: number;
  const errors: Error[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "ftpkit-accounts-ftp-"));
    await mkdir(join(work, "alice", "incoming"), { recursive: true });
    await mkdir(join(work, "reader"), { recursive: true });
    await writeFile(join(work, "reader", "notice.txt"), "read me\n");
    const pool = db.pool();
    store = new PostgresAccountStore(pool);
    const hash = await hashPassword("alice-pw", { N: 4096 });
    await store.add({
      name: "alice",
      passwordHash: hash,
      root: { kind: "local", path: join(work, "alice") },
      home: "/incoming",
    });
    await store.add({
      name: "reader",
      passwordHash: hash,
      root: { kind: "local", path: join(work, "reader") },
      permissions: "read-only",
    });
    await store.add({ name: "gone", passwordHash: hash, root: { kind: "local", path: work }, enabled: false });

    ftp = new FtpServer({
      host: "127.0.0.1",
      port: 0,
      // Usage is counted from the upload events below, so the server must not count it too.
      authenticate: createPostgresAuthenticator(pool, { dummyHashParameters: { N: 4096 }, countUsage: false }),
      limits: { failedLoginDelay: 0 },
    });
    ftp.on("error", (error) => errors.push(error));
    // Usage accounting from the server's events (new files only in this test).
    ftp.on("upload", (event) => {
      void store.recordUpload(event.user, event.bytes, event.offset === 0 && event.kind !== "appe" ? 1 : 0);
    });
    port = (await ftp.listen()).port;
  });
  afterAll(async () => {
    await ftp?.close();
    await rm(work, { recursive: true, force: true });
  });

  it("logs in with the stored password and uploads into the account's root, starting in its home", async () => {
    const file = join(work, "upload.txt");
    await writeFile(file, "hello from curl\n");
    // curl takes URL paths relative to the login directory: the account's home, /incoming.
    const up = await curl(["-T", file, `ftp://alice:alice-pw@127.0.0.1:${port}/upload.txt`]);
    expect(up).toMatchObject({ code: 0, stderr: "" });
    expect(await readFile(join(work, "alice", "incoming", "upload.txt"), "utf8")).toBe("hello from curl\n");

    const pwd = await curl(["--verbose", "-Q", "PWD", `ftp://alice:alice-pw@127.0.0.1:${port}`]);
    expect(pwd.stderr).toMatch(/< 257 "\/incoming"/);
    const listing = await curl(["--list-only", `ftp://alice:alice-pw@127.0.0.1:${port}/%2F/`]);
    expect(listing.stdout.trim().split(/\r?\n/)).toEqual(["incoming"]);
    const home = await curl(["--list-only", `ftp://alice:alice-pw@127.0.0.1:${port}/`]);
    expect(home.stdout.trim().split(/\r?\n/)).toEqual(["upload.txt"]);

    await expect.poll(async () => (await store.usage("alice"))?.files).toBe(1);
    expect((await store.usage("alice"))?.bytes).toBe(16);
    expect(errors).toEqual([]);
  });

  it("refuses a wrong password, a disabled account and an unknown user (530)", async () => {
    for (const credentials of ["alice:wrong", "gone:alice-pw", "nobody:alice-pw"]) {
      const result = await curl([`ftp://${credentials}@127.0.0.1:${port}/`]);
      expect({ credentials, code: result.code }).toEqual({ credentials, code: LOGIN_DENIED });
    }
    expect(errors).toEqual([]);
  });

  it("applies the account's permissions (read-only: downloads yes, uploads no)", async () => {
    const read = await curl([`ftp://reader:alice-pw@127.0.0.1:${port}/notice.txt`]);
    expect(read).toMatchObject({ code: 0, stdout: "read me\n" });
    const file = join(work, "nope.txt");
    await writeFile(file, "x");
    const write = await curl(["-T", file, `ftp://reader:alice-pw@127.0.0.1:${port}/nope.txt`]);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/550/);
  });

  it("sees account changes at the next login, on any node (nothing cached)", async () => {
    await store.setEnabled("alice", false);
    expect((await curl([`ftp://alice:alice-pw@127.0.0.1:${port}/`])).code).toBe(LOGIN_DENIED);
    await store.setEnabled("alice", true);
    await store.setPassword("alice", await hashPassword("new-pw", { N: 4096 }));
    expect((await curl([`ftp://alice:alice-pw@127.0.0.1:${port}/`])).code).toBe(LOGIN_DENIED);
    expect((await curl(["--list-only", `ftp://alice:new-pw@127.0.0.1:${port}/`])).code).toBe(0);
  });
});
