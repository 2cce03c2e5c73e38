/**
 * End to end: @ftpkit/server serving an S3FileSystem (on the real RADOS Gateway) to curl, a
 * real FTP client: upload, listings, a resumed download (REST), a resumed upload (APPE),
 * MFMT/MDTM, rename, and downloads compared by SHA-256.
 */
import { execFile } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { FtpServer } from "@ftpkit/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { S3FileSystem } from "../src/index.js";
import { emptyPrefix, s3Environment, uniqueName, useBucket } from "./s3-environment.js";

const MiB = 1024 * 1024;
const CURL = "/usr/bin/curl";

interface CurlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs curl with a 60 s cap; never rejects (the exit code is in the result). */
function curl(args: readonly string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile(
      CURL,
      ["--silent", "--show-error", "--max-time", "60", ...args],
      { maxBuffer: 64 * MiB },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

const environment = s3Environment();
if ("unavailable" in environment) {
  describe("FtpServer on S3FileSystem", () => {
    // A missing store is a failure to see, never a skipped test.
    it("has an S3 store to test against", () => {
      throw new Error(`no S3 store: ${environment.unavailable}`);
    });
  });
} else {
  const context = useBucket("ftp");
  let server: FtpServer;
  let fs: S3FileSystem;
  let prefix: string;
  let url: string;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "ftpkit-s3-ftp-"));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  beforeEach(async () => {
    prefix = `${uniqueName("alice")}/`;
    fs = new S3FileSystem({ client: context.client, bucket: context.bucket, prefix });
    server = new FtpServer({
      host: "127.0.0.1",
      port: 0,
      authenticate: ({ user, password }) => (user === "alice" && password === "secret" ? { fs } : null),
      limits: { failedLoginDelay: 0 },
    });
    const { port } = await server.listen();
    url = `ftp://alice:secret@127.0.0.1:${port}`;
  });
  afterEach(async () => {
    await server.close();
    await emptyPrefix(context.client, context.bucket, prefix);
  });

  it("uploads, lists, resumes a download with REST and downloads the same bytes", async () => {
    const data = randomFillSync(Buffer.allocUnsafe(7 * MiB + 123));
    const local = join(work, "up.bin");
    await writeFile(local, data);

    const up = await curl(["--ftp-create-dirs", "-T", local, `${url}/dir/sub/up.bin`]);
    expect(up).toMatchObject({ code: 0, stderr: "" });
    const head = await context.client.send(
      new HeadObjectCommand({ Bucket: context.bucket, Key: `${prefix}dir/sub/up.bin` }),
    );
    expect(head.ContentLength).toBe(data.length);

    const list = await curl([`${url}/dir/sub/`]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`\\s${data.length}\\s.*up\\.bin\\r?\\n`));
    const names = await curl(["--list-only", `${url}/dir/`]);
    expect(names.stdout.trim().split(/\r?\n/)).toEqual(["sub"]);

    // A download cut after 3 MiB, resumed: curl sends REST with the local size.
    const down = join(work, "down.bin");
    await writeFile(down, data.subarray(0, 3 * MiB));
    const resumed = await curl(["--verbose", "-C", "-", "-o", down, `${url}/dir/sub/up.bin`]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`> REST ${3 * MiB}`);
    expect(sha256(await readFile(down))).toBe(sha256(data));

    const whole = join(work, "whole.bin");
    expect((await curl(["-o", whole, `${url}/dir/sub/up.bin`])).code).toBe(0);
    expect(sha256(await readFile(whole))).toBe(sha256(data));
  }, 120_000);

  it("resumes an interrupted upload (SIZE, then APPE) into one object", async () => {
    const data = randomFillSync(Buffer.allocUnsafe(9 * MiB + 7));
    const local = join(work, "resume.bin");
    await writeFile(local, data);
    await truncate(local, 6 * MiB + 1);
    expect((await curl(["-T", local, `${url}/resume.bin`])).code).toBe(0);
    await writeFile(local, data);
    const resumed = await curl(["--verbose", "-C", "-", "-T", local, `${url}/resume.bin`]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain("> APPE resume.bin");
    expect((await fs.stat("/resume.bin")).size).toBe(data.length);
    const back = join(work, "resume-back.bin");
    expect((await curl(["-o", back, `${url}/resume.bin`])).code).toBe(0);
    expect(sha256(await readFile(back))).toBe(sha256(data));
  }, 120_000);

  it("keeps an MFMT time for MDTM, renames, and refuses SITE CHMOD", async () => {
    const local = join(work, "t.txt");
    await writeFile(local, "timed");
    expect((await curl(["-T", local, `${url}/t.txt`])).code).toBe(0);
    const set = await curl([
      "-Q",
      "MFMT 20010203040506 t.txt",
      "-Q",
      "RNFR t.txt",
      "-Q",
      "RNTO renamed.txt",
      `${url}/`,
    ]);
    expect(set).toMatchObject({ code: 0, stderr: "" });
    const back = join(work, "t-back.txt");
    expect((await curl(["-R", "-o", back, `${url}/renamed.txt`])).code).toBe(0);
    expect((await stat(back)).mtime.toISOString()).toBe("2001-02-03T04:05:06.000Z");
    expect((await readFile(back)).toString()).toBe("timed");
    const chmod = await curl(["-Q", "SITE CHMOD 600 renamed.txt", `${url}/`]);
    expect(chmod.code).not.toBe(0);
    expect(chmod.stderr).toMatch(/QUOT command failed with 502/);
  }, 60_000);
}
