/**
 * `ftpkit-accounts` as a real process (the bin bundled by global-setup.ts), against the test
 * database: migrate, add, passwd, disable/enable, list, set, remove, and its usage errors.
 */
import { execFile } from "node:child_process";
import { MemoryFileSystem } from "@ftpkit/server";
import { expect, inject, it } from "vitest";
import { createPostgresAuthenticator } from "../src/index.js";
import { describePostgres, useDatabase } from "./pg-environment.js";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function accounts(args: readonly string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [inject("accountsBin"), ...args],
      { env: { PATH: process.env["PATH"], ...options.env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.stdin ?? "");
  });
}

describePostgres("ftpkit-accounts", (server) => {
  const db = useDatabase(server, "cli", { migrated: false });
  const env = () => ({ DATABASE_URL: db.url });
  const login = async (user: string, password: string) => {
    const authenticate = createPostgresAuthenticator(db.pool({ max: 1 }), {
      fileSystemFor: () => new MemoryFileSystem(),
    });
    return (await authenticate({ user, password, remoteAddress: "127.0.0.1", connectionId: 1 })) ? "in" : "refused";
  };

  it("migrates (again and again), adds, lists, changes passwords, disables and removes accounts", async () => {
    const before = await accounts(["list"], { env: env() });
    expect(before).toMatchObject({ code: 1, stderr: expect.stringContaining("run `ftpkit-accounts migrate` first") });

    expect(await accounts(["migrate"], { env: env() })).toMatchObject({
      code: 0,
      stdout: "applied migration 1; schema version 1\n",
    });
    // --database-url instead of the environment.
    expect(await accounts(["--database-url", db.url, "migrate"])).toMatchObject({
      code: 0,
      stdout: "schema is up to date (version 1)\n",
    });

    const add = await accounts(
      ["add", "alice", "--root", "/srv/ftp/alice", "--quota-bytes", "10G", "--quota-files", "1000", "--password-stdin"],
      { env: env(), stdin: "s3cret pass\n" },
    );
    expect(add).toMatchObject({ code: 0, stdout: "added alice (/srv/ftp/alice)\n", stderr: "" });
    expect(await login("alice", "s3cret pass")).toBe("in");
    expect(await login("alice", "s3cret")).toBe("refused");

    // No password given: one is generated and shown once.
    const generated = await accounts(
      [
        "add",
        "bob",
        "--s3-bucket",
        "ftp",
        "--s3-prefix",
        "users/bob/",
        "--s3-endpoint",
        "http://127.0.0.1:7480",
        "--s3-credentials",
        "main",
        "--permissions",
        "list,read,write",
        "--tls",
        "required",
        "--max-sessions",
        "4",
        "--upload-rate",
        "1M",
      ],
      { env: env() },
    );
    expect(generated.code).toBe(0);
    const password = /^password: (\S+)$/m.exec(generated.stdout)?.[1];
    expect(password).toMatch(/^[\w-]{20}$/);
    expect(await login("bob", password!)).toBe("in");

    // FTPKIT_PASSWORD, and a hash made elsewhere.
    expect(await accounts(["passwd", "bob"], { env: { ...env(), FTPKIT_PASSWORD: "from-env" } })).toMatchObject({
      code: 0,
      stdout: "password of bob changed\n",
    });
    expect(await login("bob", password!)).toBe("refused");
    expect(await login("bob", "from-env")).toBe("in");
    const { hashPassword } = await import("@ftpkit/server");
    const hash = await hashPassword("hashed", { N: 1024 });
    expect(await accounts(["passwd", "alice", "--password-hash", hash], { env: env() })).toMatchObject({ code: 0 });
    expect(await login("alice", "hashed")).toBe("in");

    const list = await accounts(["list"], { env: env() });
    expect(list.code).toBe(0);
    expect(list.stdout).toBe(
      [
        "alice\tenabled\t/srv/ftp/alice\tall\t0/10G bytes, 0/1000 files",
        "bob\tenabled\ts3://ftp/users/bob/ at http://127.0.0.1:7480 (credentials main)\tlist,read,write\t0/- bytes, 0/- files",
        "",
      ].join("\n"),
    );
    const json = await accounts(["list", "--json"], { env: env() });
    const parsed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(parsed[1]).toMatchObject({
      name: "bob",
      tls: "required",
      maxSessions: 4,
      bandwidth: { upload: 1024 * 1024 },
      root: { kind: "s3", bucket: "ftp", prefix: "users/bob/", credentials: "main" },
    });
    // Never a hash, nor a password, in any output.
    for (const out of [add, generated, list, json])
      expect(out.stdout + out.stderr).not.toMatch(/scrypt|s3cret|from-env/);

    expect(await accounts(["disable", "alice"], { env: env() })).toMatchObject({ code: 0, stdout: "alice disabled\n" });
    expect(await login("alice", "hashed")).toBe("refused");
    expect((await accounts(["list"], { env: env() })).stdout).toMatch(/^alice\tdisabled\t/);
    expect(await accounts(["enable", "alice"], { env: env() })).toMatchObject({ code: 0, stdout: "alice enabled\n" });
    expect(await login("alice", "hashed")).toBe("in");

    expect(
      await accounts(["set", "alice", "--quota-bytes", "none", "--permissions", "read-only"], { env: env() }),
    ).toMatchObject({
      code: 0,
    });
    expect((await accounts(["list"], { env: env() })).stdout).toMatch(
      /^alice\tenabled\t\/srv\/ftp\/alice\tread-only\t0\/- bytes, 0\/1000 files$/m,
    );
    expect(await accounts(["remove", "bob"], { env: env() })).toMatchObject({ code: 0 });
    expect(await login("bob", "from-env")).toBe("refused");
  });

  it("says what is wrong, with exit 2 for usage errors and 3 for an unknown account", async () => {
    await accounts(["migrate"], { env: env() });
    const cases: Array<[string[], number, RegExp, NodeJS.ProcessEnv?]> = [
      [["list"], 2, /no database: give --database-url URL or set DATABASE_URL/, {}],
      [[], 2, /Usage: ftpkit-accounts/],
      [["frobnicate"], 2, /unknown command: frobnicate/],
      [["add"], 2, /add: which account\? \(NAME\)/],
      [["add", "carol"], 2, /give the account's root/],
      [["add", "carol", "--root", "/x", "--s3-bucket", "b"], 2, /--root and --s3-\* name two different roots/],
      [["add", "carol", "--root", "relative"], 2, /root.path: must be an absolute path/],
      [["add", "carol", "--root", "/x", "--quota-bytes", "lots"], 2, /--quota-bytes: not a size: lots/],
      [
        ["add", "carol", "--root", "/x", "--password-hash", "plain"],
        2,
        /--password-hash: not a hashPassword\(\) string/,
      ],
      [["add", "carol", "--root", "/x", "--bogus"], 2, /Unknown option '--bogus'/],
      [["passwd", "nobody", "--password-stdin"], 3, /no account named nobody/],
      [["disable", "nobody"], 3, /no account named nobody/],
      [["list", "extra"], 2, /unexpected argument: extra/],
    ];
    for (const [args, code, message, environment] of cases) {
      const run = await accounts(args, { env: environment ?? env(), stdin: "pw\n" });
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({
        args,
        code,
        stderr: expect.stringMatching(message),
      });
    }
    const help = await accounts(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit status: 0 done, 1 failed, 2 usage error, 3 no such account.");
    // A database that cannot be reached is a failure (1), said in one line.
    const down = await accounts(["list", "--database-url", "postgres://postgres@127.0.0.1:1/x"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^ftpkit-accounts: .*ECONNREFUSED/);
  });
});
