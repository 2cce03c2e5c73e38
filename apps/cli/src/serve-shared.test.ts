/**
 * `ftpkit serve --accounts-db` and the S3 settings: validated before anything is opened, each
 * mistake one line naming the option, with the usage exit code (2); a database that cannot be
 * reached is exit 3. (Serving from PostgreSQL and S3 for real, three nodes behind HAProxy: see
 * test/multinode.)
 */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { main } from "./cli.js";
import type { CliIo } from "./io.js";
import { validateServeConfig } from "./serve-config.js";
import { redactUrl } from "./serve-shared.js";

function run(argv: readonly string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), untilStopped: () => Promise.resolve(), env };
  return main(["node", "ftpkit", "serve", ...argv], io).then((code) => ({ code, out, err }));
}

/** A loopback port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe("serve --accounts-db options", () => {
  it.each([
    [["--accounts-db", "mysql://x/y"], /--accounts-db.*a postgres:\/\/ URL/],
    [["--accounts-db", "postgres://db/ftp", "/srv"], /DIR cannot go with it/],
    [["--accounts-db", "postgres://db/ftp", "--users", "u.yaml", "--anonymous"], /--users, --anonymous cannot go/],
    [["--s3-endpoint", "http://127.0.0.1:7480"], /give --accounts-db too/],
    [["--accounts-db", "postgres://db/ftp", "--s3-endpoint", "ftp://x"], /--s3-endpoint.*http:\/\/ or https:\/\//],
  ])("refuses %j with one line and exit 2", async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(message);
  });

  it("takes DATABASE_URL and the AWS variables from the environment; refuses half a key pair", async () => {
    const half = await run([], { DATABASE_URL: "postgres://db/ftp", AWS_ACCESS_KEY_ID: "AK" });
    expect(half).toMatchObject({ code: 2, err: ["ftpkit: give AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY together"] });
    const bad = await run([], { DATABASE_URL: "http://db" });
    expect(bad).toMatchObject({ code: 2, err: ["ftpkit: DATABASE_URL: not a postgres:// or postgresql:// URL"] });
  });

  it("a database that cannot be reached: exit 3, the URL without its password", async () => {
    const port = await closedPort();
    const r = await run(["--port", "0", "--accounts-db", `postgres://ftp:hunter2@127.0.0.1:${port}/ftp`]);
    expect(r.code).toBe(3);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(`cannot use the accounts database postgres://ftp:****@127.0.0.1:${port}/ftp`);
    expect(r.err[0]).not.toContain("hunter2");
  });

  it("validates the config keys (defender options included)", () => {
    const c = validateServeConfig(
      {
        accountsDb: "postgresql://ftp@db/ftp",
        "s3-endpoint": "http://127.0.0.1:7480",
        s3Region: "eu-1",
        s3ForcePathStyle: true,
        defender: { allowList: ["10.0.0.0/8"], threshold: 6 },
      },
      "f",
    );
    expect(c).toMatchObject({ accountsDb: "postgresql://ftp@db/ftp", s3Endpoint: "http://127.0.0.1:7480" });
    expect(c.defender).toMatchObject({ allowList: ["10.0.0.0/8"], threshold: 6, banTime: 30 * 60_000 });
    expect(validateServeConfig({ defender: false }, "f").defender).toBe(false);
    expect(() => validateServeConfig({ accountsDb: "db.example" }, "f")).toThrow(/"accountsDb": must be a postgres/);
    expect(() => validateServeConfig({ defender: { allowList: ["nope"] } }, "f")).toThrow(/"defender.allowList.0"/);
    expect(() => validateServeConfig({ s3Endpoint: "x" }, "f")).toThrow(/"s3Endpoint"/);
    expect(redactUrl("postgres://a:b@h/d")).toBe("postgres://a:****@h/d");
  });
});
