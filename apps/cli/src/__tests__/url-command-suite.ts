/**
 * Every URL command run as a real process (the bundled `ftpkit`, see global-setup.ts) against
 * one server, checking stdout, the exit code and the bytes moved (SHA-256 of both sides).
 * Used by commands/url-commands.<server>.test.ts.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupHome, ftpkit, sha256 } from "./process.js";
import { type Target, targetUrl, writeFixture } from "./targets.js";

const temps: string[] = [];
async function tempDir(prefix = "ftpkit-cli-test-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

afterAll(async () => {
  await cleanupHome();
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/** The URL commands against one server (a test file per server, so they run in parallel). */
export function urlCommandSuite(name: string, startTarget: () => Promise<Target>): void {
  describe(name, () => {
    let t: Target;
    let local: string;
    const big = randomBytes(2 * 1024 * 1024 + 123);
    const url = (path = "") => targetUrl(t, path);
    const bare = (path = "") => `ftp://127.0.0.1:${t.port}/${path}`;

    const fixture = (rel: string, data: string | Buffer) => writeFixture(t, rel, data);
    const onServer = (rel: string) => readFile(join(t.root, rel));
    const exists = (path: string) =>
      stat(path).then(
        () => true,
        () => false,
      );

    beforeAll(async () => {
      t = await startTarget();
      local = await tempDir();
      await fixture("hello.txt", "hello\n");
      await fixture("big.bin", big);
      await fixture("dir/a.txt", "a\n");
      await fixture("dir/sub/b.txt", "b\n");
    });
    afterAll(async () => {
      await t?.stop();
    });

    it("ls lists names, -l long lines, --json entries", async () => {
      const plain = await ftpkit(["ls", url()]);
      expect(plain.err).toBe("");
      expect(plain.code).toBe(0);
      expect(plain.out.split("\n").filter(Boolean)).toEqual(expect.arrayContaining(["big.bin", "dir", "hello.txt"]));
      const long = await ftpkit(["ls", "-l", url()]);
      expect(long.code).toBe(0);
      expect(long.out).toMatch(new RegExp(`^-\\S+\\s+${big.length} .* big\\.bin$`, "m"));
      expect(long.out).toMatch(/^d\S+\s+.* dir$/m);
      const json = await ftpkit(["ls", "--json", url("dir/")]);
      expect(json.code).toBe(0);
      const entries = JSON.parse(json.out) as { name: string; type: string; size: number | null }[];
      expect(entries.map((e) => [e.name, e.type])).toEqual([
        ["a.txt", "file"],
        ["sub", "directory"],
      ]);
      expect(entries[0]?.size).toBe(2);
    });

    it("ls of a file shows that file; get of a directory is a usage error", async () => {
      const file = await ftpkit(["ls", "-l", url("hello.txt")]);
      expect(file.code, file.err).toBe(0);
      expect(file.out).toMatch(/^-\S+ +6 .* hello\.txt\n$/);
      const dir = await ftpkit(["get", url("dir"), join(local, "dir-as-file")]);
      expect(dir.code).toBe(2);
      expect(dir.err).toMatch(/dir is a directory \(use ftpkit mirror/);
      expect(await exists(join(local, "dir-as-file"))).toBe(false);
    });

    it("ls of a missing directory exits 5 with one line", async () => {
      const r = await ftpkit(["ls", url("no/such/dir")]);
      expect(r.code).toBe(5);
      expect(r.out).toBe("");
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(/^ftpkit ls: .*no\/such\/dir: not found/);
      expect(r.err).not.toContain(t.password);
    });

    it("get downloads the bytes (SHA-256) and prints a --json summary", async () => {
      const dest = join(local, "big-copy.bin");
      const r = await ftpkit(["get", "--json", url("big.bin"), dest]);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(sha256(await readFile(dest))).toBe(sha256(big));
      const summary = JSON.parse(r.out) as { bytes: number; size: number; offset: number; local: string };
      expect(summary).toMatchObject({ bytes: big.length, size: big.length, offset: 0, local: dest });
      expect(await exists(`${dest}.part`)).toBe(false);
      // Into a directory, under the remote name; the summary line goes to stderr.
      const into = await ftpkit(["get", url("hello.txt"), `${local}/`]);
      expect(into.code).toBe(0);
      expect(into.out).toBe("");
      expect(into.err).toMatch(/^downloaded .*hello\.txt: 6 B in/);
      expect(r.err + into.err).not.toContain("\r"); // no progress bar when stderr is not a terminal
      expect(await readFile(join(local, "hello.txt"), "utf8")).toBe("hello\n");
    });

    it("get -c resumes a partial download", async () => {
      const dest = join(local, "resumed.bin");
      const half = 1024 * 1024 + 7;
      await writeFile(`${dest}.part`, big.subarray(0, half));
      const r = await ftpkit(["get", "-c", "--json", url("big.bin"), dest]);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ offset: half, bytes: big.length - half, size: big.length });
      expect(sha256(await readFile(dest))).toBe(sha256(big));
      expect(await exists(`${dest}.part`)).toBe(false);
    });

    it("get of a missing file exits 5 and creates nothing", async () => {
      const dest = join(local, "missing.bin");
      const r = await ftpkit(["get", url("missing.bin"), dest]);
      expect(r.code).toBe(5);
      expect(r.err).toMatch(/^ftpkit get: ftp:\/\/.*\/missing\.bin: not found/);
      expect(await exists(dest)).toBe(false);
      expect(await exists(`${dest}.part`)).toBe(false);
    });

    it("put uploads the bytes; a URL ending in / is a directory; --mkdirs creates it", async () => {
      const src = join(local, "upload.bin");
      await writeFile(src, big);
      const r = await ftpkit(["put", "--json", src, url("up.bin")]);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ bytes: big.length, offset: 0 });
      expect(sha256(await onServer("up.bin"))).toBe(sha256(big));
      const missingDir = await ftpkit(["put", src, url("new/deeper/")]);
      expect(missingDir.code).toBe(5);
      expect(missingDir.err).toContain("use --mkdirs");
      const made = await ftpkit(["put", "--mkdirs", src, url("new/deeper/")]);
      expect(made.code, made.err).toBe(0);
      expect(sha256(await onServer("new/deeper/upload.bin"))).toBe(sha256(big));
    });

    it("put -c resumes an upload from the remote size", async () => {
      const src = join(local, "resume-up.bin");
      await writeFile(src, big);
      const part = 700_001;
      await fixture("resume-up.bin", big.subarray(0, part));
      const r = await ftpkit(["put", "-c", "--json", src, url("resume-up.bin")]);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ offset: part, bytes: big.length - part });
      expect(sha256(await onServer("resume-up.bin"))).toBe(sha256(big));
    });

    it("put of a missing local file exits 2 before connecting", async () => {
      const r = await ftpkit(["put", join(local, "nope.bin"), "ftp://127.0.0.1:1/x"]);
      expect(r.code).toBe(2);
      expect(r.err.trim()).toBe(`ftpkit put: local file not found: ${join(local, "nope.bin")}`);
    });

    it("cat writes the file to stdout", async () => {
      const r = await ftpkit(["cat", url("big.bin")]);
      expect(r.code, r.err).toBe(0);
      expect(sha256(r.stdout)).toBe(sha256(big));
    });

    it("mkdir (-p), mv and rm (-r)", async () => {
      expect((await ftpkit(["mkdir", url("made")])).code).toBe(0);
      expect((await stat(join(t.root, "made"))).isDirectory()).toBe(true);
      const noParent = await ftpkit(["mkdir", url("x/y/z")]);
      expect(noParent.code).toBe(5);
      expect((await ftpkit(["mkdir", "-p", url("x/y/z")])).code).toBe(0);
      expect((await stat(join(t.root, "x/y/z"))).isDirectory()).toBe(true);
      await fixture("move-me.txt", "move\n");
      const mv = await ftpkit(["mv", url("move-me.txt"), "made/moved.txt"]);
      expect(mv.code, mv.err).toBe(0);
      expect(await readFile(join(t.root, "made/moved.txt"), "utf8")).toBe("move\n");
      expect(await exists(join(t.root, "move-me.txt"))).toBe(false);
      const notR = await ftpkit(["rm", url("x")]);
      expect(notR.code).toBe(2);
      expect(notR.err).toContain("is a directory (use rm -r)");
      expect((await ftpkit(["rm", "-r", url("x")])).code).toBe(0);
      expect(await exists(join(t.root, "x"))).toBe(false);
      expect((await ftpkit(["rm", url("made/moved.txt")])).code).toBe(0);
      expect(await exists(join(t.root, "made/moved.txt"))).toBe(false);
      expect((await ftpkit(["rm", url("made/moved.txt")])).code).toBe(5);
    });

    it("stat prints type, size and time; --json", async () => {
      const r = await ftpkit(["stat", url("big.bin")]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^type: +file$/m);
      expect(r.out).toMatch(new RegExp(`^size: +${big.length}$`, "m"));
      const j = await ftpkit(["stat", "--json", url("dir")]);
      expect(JSON.parse(j.out)).toMatchObject({ name: "dir", type: "directory" });
      expect((await ftpkit(["stat", url("nothing-here")])).code).toBe(5);
    });

    it("mirror downloads a tree, then transfers nothing; -R uploads one, --dry-run changes nothing", async () => {
      const mirrorDir = join(local, "mirror");
      const first = await ftpkit(["mirror", url("dir"), mirrorDir]);
      expect(first.code, first.err).toBe(0);
      expect(first.out.split("\n").filter(Boolean).sort()).toEqual(["get a.txt", "get sub/b.txt", "mkdir sub"]);
      expect(await readFile(join(mirrorDir, "sub/b.txt"), "utf8")).toBe("b\n");
      const again = await ftpkit(["mirror", url("dir"), mirrorDir]);
      expect(again.code).toBe(0);
      expect(again.out).toBe("");

      const tree = join(local, "tree");
      await mkdir(join(tree, "deep/er"), { recursive: true });
      const files = {
        "one.bin": randomBytes(50_000),
        "deep/two.bin": randomBytes(70_000),
        "deep/er/three.txt": Buffer.from("3\n"),
      };
      for (const [rel, data] of Object.entries(files)) await writeFile(join(tree, rel), data);
      await fixture("site/stale.txt", "old\n");
      const dry = await ftpkit(["mirror", "-R", "--delete", "--dry-run", tree, url("site/")]);
      expect(dry.code, dry.err).toBe(0);
      expect(dry.out).toContain("would put deep/er/three.txt");
      expect(dry.out).toContain("would delete stale.txt");
      expect(await exists(join(t.root, "site/one.bin"))).toBe(false);
      const up = await ftpkit(["mirror", "-R", "--delete", "--parallel", "3", "--json", tree, url("site/")]);
      expect(up.code, up.err).toBe(0);
      const summary = JSON.parse(up.out) as { bytes: number; actions: { action: string; path: string }[] };
      expect(summary.bytes).toBe(50_000 + 70_000 + 2);
      for (const [rel, data] of Object.entries(files)) expect(sha256(await onServer(`site/${rel}`))).toBe(sha256(data));
      expect(await exists(join(t.root, "site/stale.txt"))).toBe(false);
    });

    it("credentials from --user, FTPKIT_PASSWORD and ~/.netrc (default entry too); a wrong one exits 4", async () => {
      expect((await ftpkit(["ls", "--user", `${t.user}:${t.password}`, bare()])).code).toBe(0);
      const env = await ftpkit(["ls", `ftp://${t.user}@127.0.0.1:${t.port}/`], {
        env: { FTPKIT_PASSWORD: t.password },
      });
      expect(env.code, env.err).toBe(0);
      const home = await tempDir("ftpkit-home-");
      await writeFile(
        join(home, ".netrc"),
        `machine example.com login nobody password nothing\ndefault login ${t.user} password "${t.password}"\n`,
      );
      await chmod(join(home, ".netrc"), 0o600);
      const netrc = await ftpkit(["ls", bare()], { env: { HOME: home } });
      expect(netrc.code, netrc.err).toBe(0);
      expect(netrc.out).toContain("hello.txt");
      const wrong = await ftpkit(["ls", `ftp://${t.user}:wrong@127.0.0.1:${t.port}/`]);
      expect(wrong.code).toBe(4);
      expect(wrong.err.trim()).toMatch(
        new RegExp(`^ftpkit ls: login as ${t.user} to 127\\.0\\.0\\.1:${t.port} failed: 530`),
      );
    });

    it("-v prints the control transcript with PASS masked", async () => {
      const r = await ftpkit(["-v", "ls", url()]);
      expect(r.code).toBe(0);
      expect(r.err).toMatch(/^> USER /m);
      expect(r.err).toMatch(/^> PASS \*\*\*\*$/m);
      expect(r.err).toMatch(/^< 230/m);
      expect(r.err).not.toContain(t.password);
    });

    it("permission denied exits 6", async () => {
      if (t.owner === undefined) {
        // @ftpkit/server: a file the server process cannot read.
        await fixture("locked.txt", "secret\n");
        await chmod(join(t.root, "locked.txt"), 0o000);
      } else {
        // vsftpd runs the session as its own user: a root-owned file without permissions.
        await writeFile(join(t.root, "locked.txt"), "secret\n");
        await chmod(join(t.root, "locked.txt"), 0o000);
      }
      const r = await ftpkit(["get", url("locked.txt"), join(local, "locked.txt")]);
      // root reads anything: the @ftpkit/server test process may run as root.
      if (t.owner === undefined && process.getuid?.() === 0) expect(r.code).toBe(0);
      else {
        expect(r.code, r.err).toBe(6);
        expect(r.err).toMatch(/permission denied/);
        expect(await exists(join(local, "locked.txt"))).toBe(false);
      }
    });
  });
}
