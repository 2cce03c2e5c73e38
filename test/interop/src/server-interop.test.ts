/**
 * Our server under clients we did not write: curl, lftp and Python's ftplib (Debian's), each
 * driving an @ftpkit/server on 127.0.0.1 (port 0) that serves a temp directory through
 * LocalFileSystem. Every transfer is checked by SHA-256 of the bytes on both sides.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FtpServer, hashPassword } from "@ftpkit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curl, type FtpTarget, ftplibChecks, lftp, sha256 } from "./third-party-clients.js";

let server: FtpServer;
let root: string;
let local: string;
let target: FtpTarget;
const payload = randomBytes(3 * 1024 * 1024 + 17);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "ftpkit-srv-root-"));
  local = await mkdtemp(path.join(os.tmpdir(), "ftpkit-srv-local-"));
  await writeFile(path.join(local, "payload.bin"), payload);
  const password = "s3cret pass";
  server = new FtpServer({
    host: "127.0.0.1",
    port: 0,
    users: { tester: await hashPassword(password) },
    root,
    limits: { failedLoginDelay: 50 },
  });
  const address = await server.listen();
  target = { port: address.port, user: "tester", password, tls: false };
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
  await rm(local, { recursive: true, force: true });
});

const onServer = (name: string) => path.join(root, name);
const onClient = (name: string) => path.join(local, name);

describe("curl against @ftpkit/server", () => {
  it("uploads with EPSV and downloads with PASV, bytes intact", async () => {
    const up = await curl(target, "curl-up.bin", ["-T", onClient("payload.bin")]);
    expect(up.code, up.stderr).toBe(0);
    expect(sha256(await readFile(onServer("curl-up.bin")))).toBe(sha256(payload));
    const down = await curl(target, "curl-up.bin", ["--disable-epsv"]);
    expect(down.code, down.stderr).toBe(0);
    expect(sha256(down.stdout)).toBe(sha256(payload));
  });

  it("transfers in active mode with EPRT and with PORT (--ftp-port)", async () => {
    const eprt = await curl(target, "curl-active.bin", ["--ftp-port", "127.0.0.1", "-T", onClient("payload.bin")]);
    expect(eprt.code, eprt.stderr).toBe(0);
    const port = await curl(target, "curl-active.bin", ["--ftp-port", "127.0.0.1", "--disable-eprt"]);
    expect(port.code, port.stderr).toBe(0);
    expect(sha256(port.stdout)).toBe(sha256(payload));
  });

  it("resumes a download and an upload with -C -", async () => {
    await writeFile(onServer("resume-down.bin"), payload);
    await writeFile(onClient("resume-down.part"), payload.subarray(0, 1_000_000));
    const down = await curl(target, "resume-down.bin", ["-C", "-", "-o", onClient("resume-down.part")]);
    expect(down.code, down.stderr).toBe(0);
    expect(sha256(await readFile(onClient("resume-down.part")))).toBe(sha256(payload));
    await writeFile(onServer("resume-up.bin"), payload.subarray(0, 1_234_567));
    const up = await curl(target, "resume-up.bin", ["-C", "-", "-T", onClient("payload.bin")]);
    expect(up.code, up.stderr).toBe(0);
    expect(sha256(await readFile(onServer("resume-up.bin")))).toBe(sha256(payload));
  });

  it("creates missing directories with --ftp-create-dirs", async () => {
    const r = await curl(target, encodeURI("deep/er/dir ünï/file.bin"), [
      "--ftp-create-dirs",
      "-T",
      onClient("payload.bin"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(sha256(await readFile(onServer("deep/er/dir ünï/file.bin")))).toBe(sha256(payload));
  });

  it("runs -Q quote commands before and after a transfer", async () => {
    await writeFile(onServer("quote-me.txt"), "q");
    const r = await curl(target, "", [
      "-Q",
      "MKD quoted",
      "-Q",
      "-RNFR quote-me.txt",
      "-Q",
      "-RNTO quoted/moved.txt",
      "--list-only",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect((await stat(onServer("quoted/moved.txt"))).isFile()).toBe(true);
    const del = await curl(target, "", ["-Q", "DELE quoted/moved.txt", "-Q", "RMD quoted", "--list-only"]);
    expect(del.code, del.stderr).toBe(0);
    await expect(stat(onServer("quoted"))).rejects.toThrow();
  });

  it("lists a directory (LIST) and its names (NLST)", async () => {
    await mkdir(onServer("listing"), { recursive: true });
    await writeFile(onServer("listing/a file.txt"), "abc");
    await writeFile(onServer("listing/-dash.txt"), "abcd");
    const long = await curl(target, "listing/");
    expect(long.code, long.stderr).toBe(0);
    const text = long.stdout.toString("utf8");
    expect(text).toMatch(/^-rw.* 3 .* a file\.txt\r?$/m);
    expect(text).toMatch(/^-rw.* 4 .* -dash\.txt\r?$/m);
    const names = await curl(target, "listing/", ["--list-only"]);
    expect(names.stdout.toString("utf8").split(/\r?\n/).filter(Boolean).sort()).toEqual(["-dash.txt", "a file.txt"]);
  });

  it("is refused with a wrong password (exit 67, 530)", async () => {
    const r = await curl({ ...target, password: "wrong" }, "");
    expect(r.code).toBe(67);
  });
});

async function tree(dir: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) Object.assign(out, await tree(path.join(dir, entry.name), `${rel}/`));
    else out[rel] = sha256(await readFile(path.join(dir, entry.name)));
  }
  return out;
}

describe("lftp against @ftpkit/server", () => {
  it("mirrors a nested tree with UTF-8 names up (mirror -R) and back down (mirror)", async () => {
    const src = onClient("tree-src");
    await mkdir(path.join(src, "a/b/c"), { recursive: true });
    await mkdir(path.join(src, "ünïcödé dir/ñ"), { recursive: true });
    await writeFile(path.join(src, "top.bin"), payload.subarray(0, 100_000));
    await writeFile(path.join(src, "a/b/c/deep file.txt"), "deep\n");
    await writeFile(path.join(src, "ünïcödé dir/ñ/日本語.txt"), "こんにちは\n");
    await writeFile(path.join(src, "a/empty.txt"), "");
    const up = await lftp(target, [`mirror -R "${src}" tree`]);
    expect(up.code, up.stderr).toBe(0);
    expect(await tree(onServer("tree"))).toEqual(await tree(src));
    const back = onClient("tree-back");
    const down = await lftp(target, [`mirror tree "${back}"`]);
    expect(down.code, down.stderr).toBe(0);
    expect(await tree(back)).toEqual(await tree(src));
  });

  it("resumes a download with get -c", async () => {
    await writeFile(onServer("lftp-resume.bin"), payload);
    await writeFile(onClient("lftp-resume.bin"), payload.subarray(0, 777_777));
    const r = await lftp(target, [`lcd "${local}"`, "get -c lftp-resume.bin"]);
    expect(r.code, r.stderr).toBe(0);
    expect(sha256(await readFile(onClient("lftp-resume.bin")))).toBe(sha256(payload));
  });

  it("uploads and downloads in active mode (ftp:passive-mode off)", async () => {
    const r = await lftp(
      target,
      [`lcd "${local}"`, "put payload.bin -o lftp-active.bin", "get lftp-active.bin -o lftp-active-back.bin"],
      ["set ftp:passive-mode off", "set ftp:port-ipv4 127.0.0.1"],
    );
    expect(r.code, r.stderr).toBe(0);
    expect(sha256(await readFile(onServer("lftp-active.bin")))).toBe(sha256(payload));
    expect(sha256(await readFile(onClient("lftp-active-back.bin")))).toBe(sha256(payload));
  });
});

describe("Python ftplib against @ftpkit/server", () => {
  let report: Record<string, unknown>;
  beforeAll(async () => {
    report = await ftplibChecks(target, local);
  }, 120_000);

  it("logs in and reports the working directory", () => {
    expect(report["login"]).toEqual({ welcome: "220", pwd: "/" });
  });
  it("stores and retrieves in passive and active mode (storbinary/retrbinary, size)", () => {
    for (const mode of ["passive", "active"]) {
      const r = report[mode] as { sent: string; received: string; size: number };
      expect(r, JSON.stringify(r)).toMatchObject({ received: sha256(payload), size: payload.length });
    }
  });
  it("resumes with retrbinary(rest=) and storbinary(rest=)", () => {
    expect(report["rest"]).toEqual({
      expected: sha256(payload.subarray(1000)),
      received: sha256(payload.subarray(1000)),
    });
    expect(report["store_rest"]).toEqual({ expected: sha256(payload), received: sha256(payload) });
  });
  it("lists with mlsd()", () => {
    expect(report["mlsd"]).toEqual({ "one ünï.txt": { type: "file", size: "5" } });
  });
  it("converts line ends in ASCII mode (storlines/retrlines)", () => {
    expect(report["ascii"]).toEqual({
      lines: ["first line", "second line", "third ünï line"],
      stored: "first line\nsecond line\nthird ünï line\n",
    });
  });
  it("aborts a download (abort) and goes on using the session", () => {
    expect(report["abort"]).toEqual({
      read: true,
      abort: "426",
      after: "226",
      noop: "200",
      size: payload.length * 64,
      expected: payload.length * 64,
    });
  });
  it("renames and deletes; a second delete is refused with 550", () => {
    expect(report["rename_delete"]).toEqual({ renamed: true, deleted: true, missing: "550" });
  });
  it("refuses a wrong password with 530", () => {
    expect(report["bad_login"]).toEqual({ result: "530" });
  });
});
