/**
 * Path containment through the FTP protocol: a corpus of attack strings (`..`, backslashes,
 * percent-encoding, `~user`, NUL, over-long names, invalid UTF-8, Unicode look-alikes) and
 * symlinks on disk inside the served root that point out of it (to a canary directory next to
 * the root, to a canary file, to /etc, in loops), sent with every command that names a path.
 * Nothing outside the root may ever be listed, read, written, renamed or deleted: the canary
 * (contents, modes, times, listing) and /etc/passwd are compared before and after, and no
 * reply or data connection may carry anything from outside.
 *
 * Writes never aim at /etc (the tests may run as root): their attack strings name the canary.
 */
import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UploadMode } from "../fs/file-system.js";
import { LocalFileSystem } from "../fs/index.js";
import { startServer, type TestServer } from "./harness.js";
import { RawClient, readAll, writeAll } from "./raw-client.js";

const CANARY_CONTENT = "CANARY-SECRET-7f3a9c\n";
/** Names that exist only in the canary, never in the root or in an attack string. */
const CANARY_ONLY = ["zz-canary-only-name", "zz-canary-dir-only"];
/** Entries of /etc that must never show up in a listing. */
const ETC_ONLY = ["fstab", "shadow", "hostname", "passwd"];
const PASSWD_MARK = "root:x:0:0";

let base: string;
let root: string;
let canary: string;

async function buildRoot(): Promise<void> {
  await rm(root, { recursive: true, force: true });
  await mkdir(join(root, "pub", "inner"), { recursive: true });
  await writeFile(join(root, "pub", "readme.txt"), "inside\n");
  await symlink("../canary", join(root, "link-dir"));
  await symlink(canary, join(root, "link-abs"));
  await symlink("../canary/secret.txt", join(root, "link-file"));
  await symlink("/etc", join(root, "link-etc"));
  await symlink("/etc/passwd", join(root, "link-passwd"));
  await symlink("../../../canary", join(root, "pub", "inner", "deep-link"));
  await symlink("loop", join(root, "loop"));
  await symlink("dangling-nowhere", join(root, "dangling"));
}

/** Everything observable about a tree: names, types, modes, sizes, times, contents, link targets. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string) => {
    const self = await lstat(d);
    out.push(`${prefix}/ dir mode=${self.mode} mtime=${self.mtimeMs}`);
    for (const name of (await readdir(d)).sort()) {
      const p = join(d, name);
      const s = await lstat(p);
      if (s.isDirectory()) await walk(p, `${prefix}/${name}`);
      else if (s.isSymbolicLink()) out.push(`${prefix}/${name} -> ${await readlink(p)}`);
      else {
        const hash = createHash("sha256")
          .update(await readFile(p))
          .digest("hex");
        out.push(`${prefix}/${name} mode=${s.mode} size=${s.size} mtime=${s.mtimeMs} sha=${hash}`);
      }
    }
  };
  await walk(dir, "");
  return out;
}

async function etcState(): Promise<string> {
  const s = await lstat("/etc/passwd");
  const hash = createHash("sha256")
    .update(await readFile("/etc/passwd"))
    .digest("hex");
  return `${s.mode} ${s.size} ${s.mtimeMs} ${hash} ${(await readdir("/etc")).length}`;
}

const utf8 = (s: string) => Buffer.from(s, "utf8");
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? utf8(p) : Buffer.from(p))));

/** Attack strings for read-side commands (may aim at /etc: reading is harmless if it fails). */
const READ_ATTACKS: Buffer[] = [
  "../../etc/passwd",
  "../etc/passwd",
  "/../../etc/passwd",
  "/./../etc/passwd",
  "pub/../../etc/passwd",
  "pub/inner/../../../../etc/passwd",
  "../",
  "..",
  "../..",
  "/..",
  "../../../../../../../../../../",
  "..\\..\\etc\\passwd",
  "..\\",
  "pub\\..\\..\\etc",
  "/%2e%2e/%2e%2e/etc/passwd",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "..%2f..%2fetc%2fpasswd",
  "..%252f..%252fetc",
  "....//....//etc/passwd",
  ".../...//etc",
  "..;/etc/passwd",
  "~root",
  "~root/.ssh/authorized_keys",
  "~/../../etc/passwd",
  "~",
  "/etc/passwd",
  "//etc/passwd",
  "///etc//passwd",
  "file:///etc/passwd",
  "C:\\Windows\\win.ini",
  "\\\\?\\C:\\",
  "-la /etc",
  "-R ../",
  "* /etc",
  "\u2025/etc/passwd",
  "\uff0e\uff0e/\uff0e\uff0e/etc/passwd",
  "..\u2215..\u2215etc",
  "..\u2044etc",
  "link-dir",
  "link-dir/",
  "link-dir/secret.txt",
  "link-dir/zz-canary-dir-only",
  "link-abs",
  "link-abs/secret.txt",
  "link-file",
  "link-etc",
  "link-etc/passwd",
  "link-etc/../etc/passwd",
  "link-passwd",
  "pub/inner/deep-link",
  "pub/inner/deep-link/secret.txt",
  "loop",
  "loop/x",
  "dangling",
  "a".repeat(300),
  `${"a".repeat(250)}/`.repeat(20),
  "x/".repeat(3000),
].map(utf8);

/** Invalid UTF-8 and overlong encodings of "." and "/" (decoded as Latin-1: plain names). */
const RAW_ATTACKS: Buffer[] = [
  bytes("..", [0xff], "/..", [0xfe], "/etc/passwd"),
  bytes([0xc0, 0xae, 0xc0, 0xae], "/", [0xc0, 0xae, 0xc0, 0xae], "/etc/passwd"),
  bytes("..", [0xc0, 0xaf], "..", [0xc0, 0xaf], "etc"),
  bytes([0xe0, 0x80, 0xae, 0xe0, 0x80, 0xae], "/etc"),
  bytes("link-dir/", [0x80, 0x81]),
  bytes([0xed, 0xa0, 0x80], "/../etc"),
];

/** The same shapes aimed at the canary, for commands that write, rename or delete. */
const WRITE_ATTACKS: Buffer[] = [
  "../canary/secret.txt",
  "../../canary/secret.txt",
  "/../canary/secret.txt",
  "pub/../../canary/secret.txt",
  "..\\canary\\secret.txt",
  "/%2e%2e/canary/secret.txt",
  "~/../canary/secret.txt",
  "../canary",
  "../canary/zz-canary-dir-only",
  "../canary/new-file",
  "link-dir/secret.txt",
  "link-dir/new-file",
  "link-dir/zz-canary-dir-only",
  "link-dir/zz-canary-dir-only/new",
  "link-abs/secret.txt",
  "link-abs/new-file",
  "link-file",
  "link-dir",
  "link-abs",
  "pub/inner/deep-link/secret.txt",
  "pub/inner/deep-link/new-file",
  "pub/inner/deep-link",
  "loop/x",
  "a".repeat(300),
].map(utf8);

interface Outcome {
  readonly codes: number[];
  readonly text: string;
  readonly data: Buffer;
}

const TRANSFER = new Set(["LIST", "NLST", "MLSD", "RETR", "STOR", "APPE"]);

/** Sends `verb arg` as raw bytes; for transfers, over an EPSV data connection. */
async function attempt(c: RawClient, verb: string, arg: Buffer, upload?: Buffer): Promise<Outcome> {
  const line = Buffer.concat([utf8(`${verb} `), arg, utf8("\r\n")]);
  const v = verb as Parameters<RawClient["writeRaw"]>[1];
  if (!TRANSFER.has(verb)) {
    c.writeRaw(line, v);
    const r = await c.nextReply();
    return { codes: [r.code], text: r.lines.join("\n"), data: Buffer.alloc(0) };
  }
  const hp = await c.epsv();
  const data = await RawClient.connectData(hp);
  data.on("error", () => {});
  c.writeRaw(line, v);
  const first = await c.nextReply();
  if (first.code !== 150 && first.code !== 125) {
    data.destroy();
    return { codes: [first.code], text: first.lines.join("\n"), data: Buffer.alloc(0) };
  }
  let received: Buffer = Buffer.alloc(0);
  if (upload !== undefined) await writeAll(data, upload).catch(() => data.destroy());
  else received = await readAll(data).catch(() => Buffer.alloc(0));
  const final = await c.nextReply();
  return {
    codes: [first.code, final.code],
    text: `${first.lines.join("\n")}\n${final.lines.join("\n")}`,
    data: received,
  };
}

/** Nothing from outside the root in a reply or on a data connection. */
function expectNoLeak(o: Outcome, what: string): void {
  const all = `${o.text}\n${o.data.toString("latin1")}`;
  expect(all, what).not.toContain(CANARY_CONTENT.trim());
  expect(all, what).not.toContain(PASSWD_MARK);
  expect(all, what).not.toContain(base);
  for (const name of CANARY_ONLY) expect(o.data.toString("latin1"), what).not.toContain(name);
  const listed = o.data.toString("latin1").split(/\r\n/);
  for (const name of ETC_ONLY) {
    expect(
      listed.some((l) => l === name || l.endsWith(` ${name}`) || l.endsWith(`; ${name}`)),
      `${what} lists /etc/${name}`,
    ).toBe(false);
  }
}

let t: TestServer;
let before: { canary: string[]; etc: string; base: string[] };

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "ftpkit-traversal-"));
  root = join(base, "root");
  canary = join(base, "canary");
  await mkdir(join(canary, "zz-canary-dir-only"), { recursive: true });
  await writeFile(join(canary, "secret.txt"), CANARY_CONTENT, { mode: 0o640 });
  await writeFile(join(canary, "zz-canary-only-name"), CANARY_CONTENT);
  await buildRoot();
  before = { canary: await snapshot(canary), etc: await etcState(), base: (await readdir(base)).sort() };
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function serve(uploadMode: UploadMode = "atomic"): Promise<RawClient> {
  t = await startServer({ fs: new LocalFileSystem(root), uploadMode });
  const c = await t.login();
  await c.expect("TYPE", "I", 200);
  return c;
}

async function expectOutsideUntouched(): Promise<void> {
  expect(await snapshot(canary)).toEqual(before.canary);
  expect(await etcState()).toBe(before.etc);
  expect((await readdir(base)).sort()).toEqual(before.base);
}

describe("path containment through FTP (LocalFileSystem, symlinks out of the root)", () => {
  it(`reads, lists and changes directory with ${READ_ATTACKS.length + RAW_ATTACKS.length} attack paths: nothing from outside`, {
    timeout: 120_000,
  }, async () => {
    const c = await serve();
    let count = 0;
    for (const arg of [...READ_ATTACKS, ...RAW_ATTACKS]) {
      const what = arg.toString("latin1").slice(0, 60);
      for (const verb of ["LIST", "NLST", "MLSD", "RETR", "MLST", "STAT", "SIZE", "MDTM", "HASH"]) {
        const o = await attempt(c, verb, arg);
        expectNoLeak(o, `${verb} ${what}`);
        // No attack path names a file inside the root: reading one is a leak.
        if (["RETR", "SIZE", "MDTM", "HASH"].includes(verb))
          expect(o.codes[0], `${verb} ${what}`).toBeGreaterThanOrEqual(400);
        count++;
      }
      // CWD: wherever it lands, it is inside (PWD, and what is listed there).
      const cwd = await attempt(c, "CWD", arg);
      expectNoLeak(cwd, `CWD ${what}`);
      if (cwd.codes[0] === 250) {
        const pwd = await c.send("PWD");
        expect(pwd.lines.join(" ")).not.toContain(base);
        expectNoLeak(await attempt(c, "LIST", utf8("-a")), `LIST after CWD ${what}`);
        expectNoLeak(await attempt(c, "NLST", utf8("-a")), `NLST after CWD ${what}`);
      }
      await c.expect("CWD", "/", 250);
      count++;
    }
    expect(count).toBeGreaterThan(500);
    await expectOutsideUntouched();
  });

  for (const mode of ["standard", "atomic", "atomic-resume"] as const) {
    it(`uploads (STOR, APPE; ${mode}) through ${WRITE_ATTACKS.length + RAW_ATTACKS.length} attack paths: nothing written outside`, {
      timeout: 120_000,
    }, async () => {
      const c = await serve(mode);
      for (const verb of ["STOR", "APPE"]) {
        for (const arg of [...WRITE_ATTACKS, ...RAW_ATTACKS]) {
          const o = await attempt(c, verb, arg, utf8(`PWNED ${verb} ${mode}\n`));
          expectNoLeak(o, `${verb} ${arg.toString("latin1").slice(0, 60)}`);
        }
        await expectOutsideUntouched();
        await buildRoot();
      }
    });
  }

  it("deletes, renames, makes and removes directories, sets times and modes through attack paths: nothing outside changes", {
    timeout: 120_000,
  }, async () => {
    const c = await serve();
    const commands: [string, (arg: Buffer) => Promise<Outcome[]>][] = [
      ["DELE", async (a) => [await attempt(c, "DELE", a)]],
      ["RMD", async (a) => [await attempt(c, "RMD", a)]],
      [
        "MKD",
        async (a) => [await attempt(c, "MKD", Buffer.concat([a, utf8("/made-by-attack")])), await attempt(c, "MKD", a)],
      ],
      ["MFMT", async (a) => [await attempt(c, "MFMT", Buffer.concat([utf8("20000101000000 "), a]))]],
      ["SITE CHMOD", async (a) => [await attempt(c, "SITE", Buffer.concat([utf8("CHMOD 777 "), a]))]],
      // Rename an outside entry in (stealing it), and an inside file out (planting it).
      [
        "RNFR out",
        async (a) => {
          const from = await attempt(c, "RNFR", a);
          const to = from.codes[0] === 350 ? [await attempt(c, "RNTO", utf8("pub/stolen"))] : [];
          return [from, ...to];
        },
      ],
      [
        "RNTO out",
        async (a) => {
          await writeFile(join(root, "pub", "plant.txt"), "planted\n");
          const from = await attempt(c, "RNFR", utf8("pub/plant.txt"));
          expect(from.codes[0]).toBe(350);
          return [from, await attempt(c, "RNTO", a)];
        },
      ],
    ];
    for (const [name, run] of commands) {
      for (const arg of [...WRITE_ATTACKS, ...RAW_ATTACKS]) {
        for (const o of await run(arg)) expectNoLeak(o, `${name} ${arg.toString("latin1").slice(0, 60)}`);
      }
      await expectOutsideUntouched();
      await buildRoot();
    }
    // Operations on the links themselves act on the links, inside the root (as `rm link` does).
    expect((await c.send("DELE", "link-file")).code).toBe(250);
    expect((await c.send("RMD", "link-dir")).code).toBeGreaterThanOrEqual(500);
    await expectOutsideUntouched();
  });

  it("refuses NUL in any path argument with 501 and touches nothing", async () => {
    const c = await serve();
    for (const verb of [
      "CWD",
      "LIST",
      "NLST",
      "MLSD",
      "MLST",
      "STAT",
      "RETR",
      "STOR",
      "APPE",
      "DELE",
      "RMD",
      "MKD",
      "RNFR",
      "SIZE",
      "MDTM",
      "HASH",
    ]) {
      for (const arg of ["a\0b", "../canary/secret.txt\0", "\0", "link-dir\0/secret.txt"]) {
        const o = await attempt(c, verb, utf8(arg), utf8("x"));
        expect(o.codes, `${verb} ${JSON.stringify(arg)}`).toEqual([501]);
      }
    }
    expect((await attempt(c, "SITE", utf8("CHMOD 777 a\0b"))).codes).toEqual([501]);
    expect((await attempt(c, "MFMT", utf8("20000101000000 a\0b"))).codes).toEqual([501]);
    await expectOutsideUntouched();
  });
});
