/**
 * What the URL commands do before any server is involved: bad URLs, refused connections,
 * `--help` everywhere, `--debug`, `hash-password`. The commands against real servers are in
 * url-commands.ftpkit.test.ts and url-commands.vsftpd.test.ts.
 */
import { afterAll, describe, expect, it } from "vitest";
import { cleanupHome, ftpkit } from "../__tests__/process.js";
import { main } from "../cli.js";

afterAll(() => cleanupHome());

const COMMAND_NAMES = [
  "serve",
  "dev",
  "ls",
  "get",
  "put",
  "cat",
  "rm",
  "mv",
  "mkdir",
  "mirror",
  "stat",
  "shell",
  "hash-password",
];

describe("without a server", () => {
  it("a refused connection exits 3, a malformed URL 2, each with one line", async () => {
    const refused = await ftpkit(["ls", "ftp://127.0.0.1:1/"]);
    expect(refused.code).toBe(3);
    expect(refused.err.trim().split("\n")).toHaveLength(1);
    expect(refused.err).toMatch(/^ftpkit ls: cannot connect to 127\.0\.0\.1:1/);
    for (const bad of ["http://example.com/", "ftp://", "ftp://host/a#b", "not a url"]) {
      const r = await ftpkit(["get", bad]);
      expect(r.code, bad).toBe(2);
      expect(r.err.trim().split("\n"), bad).toHaveLength(1);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    const secret = await ftpkit(["ls", "ftp://u:hunter2@host/a#b"]);
    expect(secret.err).not.toContain("hunter2");
  });

  it("--help on every command shows an example; --debug shows a stack trace", async () => {
    // In-process (the same program the binary runs); the top-level help as a process below.
    for (const command of COMMAND_NAMES) {
      const out: string[] = [];
      const io = {
        out: (l: string) => out.push(l),
        err: (l: string) => out.push(l),
        untilStopped: () => new Promise<void>(() => {}),
      };
      expect(await main(["node", "ftpkit", command, "--help"], io), command).toBe(0);
      expect(out.join("\n"), command).toMatch(/Examples?:\n +\$ (ftpkit|pnpm) /);
    }
    const top = await ftpkit(["--help"]);
    for (const command of COMMAND_NAMES) expect(top.out).toMatch(new RegExp(`^  ${command} `, "m"));
    expect(top.out).toMatch(/Exit codes:[\s\S]*130 +interrupted/);
    const debug = await ftpkit(["--debug", "ls", "ftp://127.0.0.1:1/"]);
    expect(debug.code).toBe(3);
    expect(debug.err).toMatch(/\n\s+at /);
  });

  it("hash-password reads standard input and prints a hash the server accepts", async () => {
    const r = await ftpkit(["hash-password"], { stdin: "correct horse\n" });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^scrypt\$\d+\$\d+\$\d+\$\S+\$\S+\n$/);
    const { verifyPassword } = await import("@ftpkit/server");
    expect(await verifyPassword("correct horse", r.out.trim())).toBe(true);
    const empty = await ftpkit(["hash-password"], { stdin: "" });
    expect(empty.code).toBe(2);
  });
});
