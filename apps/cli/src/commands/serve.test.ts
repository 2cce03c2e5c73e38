/**
 * `ftpkit serve` as a real process, driven by clients we did not write: Debian's curl and
 * lftp. Users file with hashed passwords, anonymous (read-only, then with --write),
 * FTPKIT_PASSWORD, passive port range, advertised address, --config, the session log, bad
 * input, and Ctrl-C.
 */

import { randomBytes, randomInt } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { curl, type FtpTarget, lftp } from "@ftpkit/interop/src/third-party-clients.js";
import { hashPassword } from "@ftpkit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupHome, ftpkit, type Running, sha256, start } from "../__tests__/process.js";

const temps: string[] = [];
const running: Running[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill("SIGKILL");
  await cleanupHome();
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/** Starts `ftpkit serve ...args` and waits for its URL line. */
async function serve(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ run: Running; port: number; url: string }> {
  const run = await start(["serve", ...args], { env });
  running.push(run);
  const url = (await run.waitForLine(/ftp:\/\//)).trim();
  // The lines after the URL (who may log in) are printed before this one.
  await run.waitForLine(/^Press Ctrl-C to stop\.$/);
  const port = Number(/:(\d+)\/$/.exec(url)?.[1]);
  return { run, port, url };
}

async function stop(run: Running): Promise<number | null> {
  run.child.kill("SIGINT");
  return run.exited;
}

const target = (port: number, user: string, password: string): FtpTarget => ({ port, user, password, tls: false });

describe("ftpkit serve under curl and lftp", () => {
  let dir: string;
  let usersFile: string;
  const payload = randomBytes(1024 * 1024 + 99);
  const alicePassword = "alice's secret";

  beforeAll(async () => {
    dir = await tempDir("ftpkit-serve-root-");
    await writeFile(join(dir, "payload.bin"), payload);
    await mkdir(join(dir, "tree/sub"), { recursive: true });
    await writeFile(join(dir, "tree/one.txt"), "one\n");
    await writeFile(join(dir, "tree/sub/two.txt"), "two\n");
    const conf = await tempDir("ftpkit-serve-conf-");
    usersFile = join(conf, "users.yaml");
    const hashed = (await ftpkit(["hash-password"], { stdin: alicePassword })).out.trim();
    await writeFile(
      usersFile,
      `alice: "${hashed}"\nreader:\n  password: "${await hashPassword("r3ad")}"\n  permissions: read-only\n`,
    );
  });

  it("a users file with hashed passwords and read-only anonymous access; the session log", async () => {
    const base = 30_000 + randomInt(0, 9_000);
    const { run, port, url } = await serve([
      dir,
      "--port",
      "0",
      "--users",
      usersFile,
      "--anonymous",
      "--passive-ports",
      `${base}-${base + 19}`,
      "--advertise",
      "10.9.8.7",
    ]);
    expect(url).toBe(`ftp://127.0.0.1:${port}/`);
    expect(run.lines).toContain(`  2 users from ${usersFile}`);
    const alice = target(port, "alice", alicePassword);
    // curl: download (PASV, whose reply carries the advertised address and a port in the range), upload.
    const down = await curl(alice, "payload.bin", ["--disable-epsv", "-v"]);
    expect(down.code, down.stderr).toBe(0);
    expect(sha256(down.stdout)).toBe(sha256(payload));
    const pasv = /227 .*\(10,9,8,7,(\d+),(\d+)\)/.exec(down.stderr);
    expect(pasv, down.stderr).not.toBeNull();
    const dataPort = Number(pasv?.[1]) * 256 + Number(pasv?.[2]);
    expect(dataPort).toBeGreaterThanOrEqual(base);
    expect(dataPort).toBeLessThanOrEqual(base + 19);
    const src = join(await tempDir("ftpkit-serve-src-"), "up.bin");
    await writeFile(src, payload);
    const up = await curl(alice, "uploaded.bin", ["-T", src]);
    expect(up.code, up.stderr).toBe(0);
    expect(sha256(await readFile(join(dir, "uploaded.bin")))).toBe(sha256(payload));
    // lftp: listing and a mirror of a tree.
    const mirrorTo = await tempDir("ftpkit-serve-mirror-");
    const l = await lftp(alice, ["cls -1 /", `mirror /tree ${mirrorTo}/tree`]);
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout.toString()).toContain("payload.bin");
    expect(await readFile(join(mirrorTo, "tree/sub/two.txt"), "utf8")).toBe("two\n");
    // anonymous reads but cannot write; the read-only user neither.
    const anon = target(port, "anonymous", "me@example.com");
    expect(sha256((await curl(anon, "payload.bin")).stdout)).toBe(sha256(payload));
    const anonUp = await curl(anon, "anon.bin", ["-T", src]);
    expect(anonUp.code).not.toBe(0);
    const readerUp = await lftp(target(port, "reader", "r3ad"), [`put ${src} -o reader.bin`]);
    expect(readerUp.code).not.toBe(0);
    const wrong = await curl(target(port, "alice", "nope"), "payload.bin");
    expect(wrong.code).toBe(67); // curl: login denied
    expect(await stop(run)).toBe(0);
    const log = run.lines.join("\n");
    expect(log).toMatch(/#\d+ 127\.0\.0\.1 connect/);
    expect(log).toMatch(/#\d+ 127\.0\.0\.1 login alice/);
    expect(log).toMatch(/#\d+ 127\.0\.0\.1 download \/payload\.bin \(1\.0 MiB/);
    expect(log).toMatch(/#\d+ 127\.0\.0\.1 upload \/uploaded\.bin/);
    expect(log).toMatch(/login failed for alice/);
    expect(log).toMatch(/disconnect \(quit\)/);
    expect(log).not.toContain(alicePassword);
    expect(log).not.toContain("r3ad");
    expect(run.lines.at(-1)).toBe("Stopped.");
  });

  it("--anonymous --write lets anonymous upload; FTPKIT_PASSWORD is used and never printed", async () => {
    const { run, port } = await serve([dir, "--port", "0", "--anonymous", "--write"]);
    expect(run.lines.join("\n")).toContain("READ-WRITE");
    const src = join(await tempDir("ftpkit-serve-src-"), "anon.txt");
    await writeFile(src, "from anonymous\n");
    const up = await curl(target(port, "anonymous", "x@y"), "anon.txt", ["-T", src]);
    expect(up.code, up.stderr).toBe(0);
    expect(await readFile(join(dir, "anon.txt"), "utf8")).toBe("from anonymous\n");
    expect(await stop(run)).toBe(0);

    // An explicit --user next to --anonymous gets its own account (a generated password).
    const both = await serve([dir, "--port", "0", "--anonymous", "--user", "carol"]);
    const generated = /user carol, password (\S+) \(generated\)/.exec(both.run.lines.join("\n"))?.[1] ?? "";
    expect(generated).not.toBe("");
    expect((await curl(target(both.port, "carol", generated), "anon.txt")).code).toBe(0);
    expect((await curl(target(both.port, "anonymous", "a@b"), "anon.txt")).code).toBe(0);
    expect(await stop(both.run)).toBe(0);

    const secret = "env-secret-123";
    const env = await serve([dir, "--port", "0", "--user", "bob"], { FTPKIT_PASSWORD: secret });
    expect(env.url).toBe(`ftp://bob@127.0.0.1:${env.port}/`);
    const got = await curl(target(env.port, "bob", secret), "anon.txt");
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout.toString()).toBe("from anonymous\n");
    expect(await stop(env.run)).toBe(0);
    expect(env.run.lines.join("\n")).not.toContain(secret);
  });

  it("--config: a YAML file fills in options, the command line wins; a bad key is named", async () => {
    const conf = await tempDir("ftpkit-serve-conf-");
    const file = join(conf, "ftpkit.yaml");
    await writeFile(file, `dir: ${dir}\nport: 0\nuser: carol\npassword: "c4rol"\nread-only: true\nhost: 127.0.0.1\n`);
    const { run, port, url } = await serve(["--config", file, "--user", "dave"]);
    expect(url).toBe(`ftp://dave:c4rol@127.0.0.1:${port}/`);
    expect(run.lines[0]).toBe(`Serving ${dir} (read-only)`);
    const got = await curl(target(port, "dave", "c4rol"), "tree/one.txt");
    expect(got.stdout.toString()).toBe("one\n");
    const src = join(conf, "x.txt");
    await writeFile(src, "x");
    expect((await curl(target(port, "dave", "c4rol"), "x.txt", ["-T", src])).code).not.toBe(0);
    expect(await stop(run)).toBe(0);

    await writeFile(file, `port: 0\nprot: 21\n`);
    const bad = await ftpkit(["serve", "--config", file]);
    expect(bad.code).toBe(2);
    expect(bad.err.trim()).toMatch(new RegExp(`^ftpkit: config ${file}: unknown key "prot"`));
    expect(bad.out).toBe("");
    await writeFile(file, `{"port": "twenty-one"}`);
    const badType = await ftpkit(["serve", "--config", file]);
    expect(badType.code).toBe(2);
    expect(badType.err).toContain('"port"');
    const missing = await ftpkit(["serve", "--config", join(conf, "none.yaml")]);
    expect(missing.code).toBe(2);
    expect(missing.err.trim()).toBe(`ftpkit: cannot read config ${join(conf, "none.yaml")}: no such file`);
  });

  it("bad input: a taken port (exit 1), a bad range or users file (exit 2), one line each", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const taken = (blocker.address() as { port: number }).port;
    const r = await ftpkit(["serve", dir, "--port", String(taken)]);
    blocker.close();
    expect(r.code).toBe(1);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/EADDRINUSE/);
    const range = await ftpkit(["serve", dir, "--passive-ports", "60000-50000"]);
    expect(range.code).toBe(2);
    const users = await ftpkit(["serve", dir, "--users", join(dir, "tree/one.txt")]);
    expect(users.code).toBe(2);
    expect(users.err.trim().split("\n")).toHaveLength(1);
    expect(users.err).toContain("users file");
  });
});
