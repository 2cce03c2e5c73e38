/**
 * `ftpkit cp` run as a real process (the bundled binary) between two @ftpkit/server instances
 * in this process: one on 127.0.0.1, one on 127.0.0.2, so their addresses differ. With `fxp`
 * accounts the file goes server to server (FXP); without, both orders are refused (the
 * bounce-attack defences) and cp streams it through itself. One local side acts like get/put.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FtpServer, hashPassword } from "@ftpkit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupHome, ftpkit, sha256 } from "../__tests__/process.js";

const PASSWORD = "s3cret pass";
const big = randomBytes(5 * 1024 * 1024 + 77);
const temps: string[] = [];
const servers: FtpServer[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ftpkit-cp-"));
  temps.push(dir);
  return dir;
}

interface Site {
  readonly root: string;
  url(path?: string): string;
}

let hash: string;

/** @ftpkit/server on `host` over a temp directory, user `tester`, with or without `fxp`. */
async function site(host: string, fxp: boolean): Promise<Site> {
  const root = await tempDir();
  const server = new FtpServer({
    host,
    port: 0,
    root,
    users: { tester: { password: hash, fxp } },
    limits: { failedLoginDelay: 50 },
  });
  servers.push(server);
  const { port } = await server.listen();
  return {
    root,
    url: (path = "") => `ftp://tester:${encodeURIComponent(PASSWORD)}@${host}:${port}/${path}`,
  };
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await cleanupHome();
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

interface Summary {
  method: string;
  bytes: number;
  offset: number;
  size: number;
  passive?: string;
  commands?: string[];
  fxpRefused?: string;
}

describe("ftpkit cp between two servers (127.0.0.1 and 127.0.0.2)", () => {
  let one: Site;
  let two: Site;
  let strictOne: Site;
  let strictTwo: Site;

  beforeAll(async () => {
    hash = await hashPassword(PASSWORD);
    [one, two, strictOne, strictTwo] = await Promise.all([
      site("127.0.0.1", true),
      site("127.0.0.2", true),
      site("127.0.0.1", false),
      site("127.0.0.2", false),
    ]);
    for (const s of [one, two, strictOne, strictTwo]) await writeFile(join(s.root, "big.bin"), big);
  });

  it("copies server to server with FXP when both accounts allow it, both ways (--json method fxp)", async () => {
    const there = await ftpkit(["cp", "--json", one.url("big.bin"), two.url("copy.bin")]);
    expect(there.code, there.err).toBe(0);
    expect(there.err).toBe("");
    const summary = JSON.parse(there.out) as Summary;
    expect(summary).toMatchObject({
      method: "fxp",
      bytes: big.length,
      size: big.length,
      offset: 0,
      passive: "destination",
      commands: ["EPSV", "EPRT"],
    });
    expect(summary.fxpRefused).toBeUndefined();
    expect(sha256(await readFile(join(two.root, "copy.bin")))).toBe(sha256(big));

    // The other way, into a directory URL, with the human summary on stderr.
    const back = await ftpkit(["cp", two.url("copy.bin"), one.url("")]);
    expect(back.code, back.err).toBe(0);
    expect(back.out).toBe("");
    expect(back.err).toMatch(
      /^copied ftp:\/\/tester@127\.0\.0\.2:\d+\/copy\.bin to ftp:\/\/tester@127\.0\.0\.1:\d+\/copy\.bin: 5\.0 MiB in .*, server to server \(FXP, the destination listening\)\n$/,
    );
    expect(back.err).not.toContain(PASSWORD);
    expect(sha256(await readFile(join(one.root, "copy.bin")))).toBe(sha256(big));
  });

  it("falls back to streaming through itself when FXP is refused, and says so", async () => {
    // --timeout 4: the order whose data connection is refused is given up after 2 s (half the reply timeout).
    const r = await ftpkit(["cp", "--json", "--timeout", "4", strictOne.url("big.bin"), strictTwo.url("streamed.bin")]);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as Summary;
    expect(summary).toMatchObject({ method: "stream", bytes: big.length, size: big.length });
    // The anti-bounce reply of the server on 127.0.0.1 (RFC 2577 §3).
    expect(summary.fxpRefused).toMatch(
      /FXP refused: destination passive: .*500 Illegal PORT command.*; source passive: /,
    );
    expect(r.err).toMatch(/^ftpkit cp: FXP refused: .*: copying through this machine instead\n$/);
    expect(sha256(await readFile(join(strictTwo.root, "streamed.bin")))).toBe(sha256(big));

    const human = await ftpkit(["cp", "--timeout", "4", strictTwo.url("big.bin"), strictOne.url("streamed-back.bin")]);
    expect(human.code, human.err).toBe(0);
    expect(human.err).toMatch(
      /FXP refused[\s\S]*\ncopied .*streamed-back\.bin: 5\.0 MiB in .*, through this machine\n$/,
    );
    expect(sha256(await readFile(join(strictOne.root, "streamed-back.bin")))).toBe(sha256(big));

    // --no-fxp streams without asking; -q says nothing.
    const direct = await ftpkit(["cp", "-q", "--no-fxp", one.url("big.bin"), two.url("no-fxp.bin")]);
    expect(direct.code, direct.err).toBe(0);
    expect(direct.err).toBe("");
    expect(sha256(await readFile(join(two.root, "no-fxp.bin")))).toBe(sha256(big));
  });

  it("resumes with -c from the destination's size, with FXP and through itself", async () => {
    const half = 2 * 1024 * 1024 + 3;
    for (const [from, to, method] of [
      [one, two, "fxp"],
      [strictOne, strictTwo, "stream"],
    ] as const) {
      await writeFile(join(to.root, "part.bin"), big.subarray(0, half));
      const r = await ftpkit(["cp", "-c", "--json", "--timeout", "4", from.url("big.bin"), to.url("part.bin")]);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ method, offset: half, bytes: big.length - half, size: big.length });
      expect(sha256(await readFile(join(to.root, "part.bin")))).toBe(sha256(big));
      const again = await ftpkit(["cp", "-c", "--json", from.url("big.bin"), to.url("part.bin")]);
      expect(JSON.parse(again.out)).toMatchObject({ method: "none", bytes: 0, offset: big.length });
    }
  });

  it("with one local side acts like get and put", async () => {
    const local = await tempDir();
    const down = await ftpkit(["cp", "--json", one.url("big.bin"), `${local}/`]);
    expect(down.code, down.err).toBe(0);
    expect(JSON.parse(down.out)).toMatchObject({
      method: "download",
      bytes: big.length,
      destination: join(local, "big.bin"),
    });
    expect(sha256(await readFile(join(local, "big.bin")))).toBe(sha256(big));
    await expect(stat(join(local, "big.bin.part"))).rejects.toThrow();

    const up = await ftpkit(["cp", "--json", join(local, "big.bin"), two.url("uploaded/")]);
    expect(up.code).toBe(5); // no such remote directory, as put says
    await writeFile(join(local, "small.txt"), "small\n");
    const up2 = await ftpkit(["cp", "--json", join(local, "small.txt"), two.url("")]);
    expect(up2.code, up2.err).toBe(0);
    expect(JSON.parse(up2.out)).toMatchObject({ method: "upload", bytes: 6 });
    expect(await readFile(join(two.root, "small.txt"), "utf8")).toBe("small\n");
  });

  it("exits 5 for a missing source (nothing created), 2 for two local files or a directory source", async () => {
    const missing = await ftpkit(["cp", one.url("missing.bin"), two.url("never.bin")]);
    expect(missing.code).toBe(5);
    expect(missing.err).toMatch(/^ftpkit cp: ftp:\/\/tester@127\.0\.0\.1:\d+\/missing\.bin: not found/);
    expect(missing.err.trim().split("\n")).toHaveLength(1);
    await expect(stat(join(two.root, "never.bin"))).rejects.toThrow();
    const locals = await ftpkit(["cp", "a", "b"]);
    expect(locals.code).toBe(2);
    expect(locals.err).toMatch(/at least one ftp:\/\/ URL/);
    const dir = await ftpkit(["cp", one.url(""), two.url("x")]);
    expect(dir.code).toBe(2);
    const same = await ftpkit(["cp", one.url("big.bin"), one.url("./big.bin")]);
    expect(same.code).toBe(2);
    expect(same.err).toMatch(/are the same file/);
    expect(sha256(await readFile(join(one.root, "big.bin")))).toBe(sha256(big));
    const help = await ftpkit(["cp", "--help"]);
    expect(help.out).toMatch(/Examples?:\n +\$ ftpkit cp /);
  });
});
