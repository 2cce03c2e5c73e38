/**
 * `ftpkit shell` in a real terminal (tmux), against @ftpkit/server and vsftpd: the password
 * prompt does not echo, ls, cd with a TAB-completed directory, get with a TAB-completed
 * file name, put, bye; history is kept without the password. Also a script on stdin.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, binary, cleanupHome, ftpkit, sha256 } from "../__tests__/process.js";
import { TARGETS, type Target, targetUrl, writeFixture } from "../__tests__/targets.js";
import { shellQuote as quote, Tmux } from "../__tests__/tmux.js";

describe.each(TARGETS)("ftpkit shell against %s", (_name, startTarget) => {
  let t: Target;
  let local: string;
  let tmux: Tmux | undefined;
  const remoteFile = randomBytes(300_000);
  const localFile = randomBytes(200_000);

  beforeAll(async () => {
    t = await startTarget();
    local = await mkdtemp(join(tmpdir(), "ftpkit-shell-"));
    await writeFixture(t, "subdirectory/remote-report.bin", remoteFile);
    await writeFixture(t, "subdirectory/other.txt", "other\n");
    await writeFixture(t, "top.txt", "top\n");
    await writeFile(join(local, "local-upload.bin"), localFile);
  });
  afterAll(async () => {
    await tmux?.kill();
    await t?.stop();
    await cleanupHome();
    await rm(local, { recursive: true, force: true });
  });

  it("logs in, ls, cd (TAB), get (TAB), put, bye", async () => {
    const url = `ftp://${encodeURIComponent(t.user)}@127.0.0.1:${t.port}/`;
    const command = `cd ${quote(local)} && ${quote(process.execPath)} ${quote(binary())} shell ${quote(url)}; echo EXIT=$?; sleep 600`;
    tmux = await Tmux.start(command, baseEnv(local));
    const term = tmux;
    await term.waitFor(/Password for .*@127\.0\.0\.1: $/m);
    await term.type(t.password);
    await term.press("Enter");
    await term.waitFor(/Connected to 127\.0\.0\.1:\d+ as .*\.\n(.*\n)*ftp> $/m);
    expect(await term.screen()).not.toContain(t.password);

    await term.type("ls");
    await term.press("Enter");
    await term.waitFor(/^subdirectory$/m);
    expect(await term.screen()).toMatch(/^top\.txt$/m);

    await term.type("cd subd");
    await term.press("Tab");
    await term.waitFor(/ftp> cd subdirectory\/$/m);
    await term.press("Enter");
    await term.waitFor(/Remote directory: \/subdirectory\n/);

    await term.type("get rem");
    await term.press("Tab");
    await term.waitFor(/ftp> get remote-report\.bin$/m);
    await term.press("Enter");
    await term.waitFor(/received remote-report\.bin -> .*: 293 KiB/);
    expect(sha256(await readFile(join(local, "remote-report.bin")))).toBe(sha256(remoteFile));

    await term.type("put local-up");
    await term.press("Tab");
    await term.waitFor(/ftp> put local-upload\.bin$/m);
    await term.press("Enter");
    await term.waitFor(/sent .*local-upload\.bin -> local-upload\.bin: 195 KiB/);
    expect(sha256(await readFile(join(t.root, "subdirectory/local-upload.bin")))).toBe(sha256(localFile));

    // Two TABs on an ambiguous start list the candidates.
    await term.type("get ");
    await term.press("Tab", "Tab");
    await term.waitFor(/other\.txt +remote-report\.bin/);
    await term.press("C-u");
    await term.type("bye");
    await term.press("Enter");
    await term.waitFor(/Goodbye\.\nEXIT=0/);
    const history = await readFile(join(local, ".ftpkit_history"), "utf8");
    expect(history.split("\n")).toEqual(
      expect.arrayContaining(["ls", "cd subdirectory/", "get remote-report.bin", "bye"]),
    );
    expect(history).not.toContain(t.password);
  });

  it("runs a script from standard input and exits with the last failure's code", async () => {
    const script = ["cd subdirectory", `lcd ${local}`, "mget *.txt", "dir", "get no-such-file", "bye", ""].join("\n");
    const r = await ftpkit(["shell", targetUrl(t)], { stdin: script, cwd: local });
    expect(r.code).toBe(5);
    expect(r.out).toContain("Remote directory: /subdirectory");
    expect(r.out).toMatch(/^-\S+ +6 .* other\.txt$/m);
    expect(await readFile(join(local, "other.txt"), "utf8")).toBe("other\n");
    expect(r.err).toMatch(/no-such-file: not found/);
  });
});
