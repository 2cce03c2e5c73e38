/**
 * Third-party FTP clients (Debian's lftp and curl, run through the interop package's runners)
 * against @ftpkit/server serving an S3FileSystem on the real RADOS Gateway:
 * - lftp mirrors a tree up (mirror -R) and back down (mirror): nested and empty directories,
 *   names with spaces and UTF-8, files from 0 bytes to a few MiB (multipart ones included);
 * - lftp resumes a download (get -c); curl's resumed download (-C -) is in ftp-server.test.ts;
 * - curl uploads 1 GiB through a server in a child process whose resident memory stays flat,
 *   then downloads it again and compares size and SHA-256 (streamed, never held in memory).
 */
import { spawn } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, statfs, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { CURL, type FtpTarget, lftp, run, sha256 } from "@ftpkit/interop/src/third-party-clients.js";
import { FtpServer } from "@ftpkit/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { S3FileSystem } from "../src/index.js";
import { residentBytes, S3ChildServer } from "./child-server.js";
import { emptyPrefix, s3Environment, uniqueName, useBucket } from "./s3-environment.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** `n` random bytes. */
function random(n: number): Buffer {
  return randomFillSync(Buffer.allocUnsafe(n));
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface TreeEntry {
  readonly path: string;
  readonly type: "directory" | "file";
  readonly size?: number;
  readonly sha256?: string;
}

/** Every directory and file under `root`, by relative path, with files' sizes and SHA-256. */
async function snapshot(root: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath, entry.name);
    const path = relative(root, full);
    if (entry.isDirectory()) entries.push({ path, type: "directory" });
    else if (entry.isFile()) {
      const data = await readFile(full);
      entries.push({ path, type: "file", size: data.length, sha256: sha256(data) });
    } else throw new Error(`unexpected ${path} in ${root}`);
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The tree lftp mirrors: directories nested four deep, two empty directories (one at the top,
 * one inside another), names with spaces and UTF-8 (NFC and NFD forms, CJK, an emoji), and
 * files of 0 bytes to 11 MiB; those of 5 MiB and more go up as multipart uploads.
 */
const TREE_FILES: readonly [string, number][] = [
  ["zero.bin", 0],
  ["one byte.txt", 1],
  ["a/b/c/d/deep file.txt", 1000],
  ["a/b/sixty-four k + 1.bin", 64 * KiB + 1],
  ["a/three MiB.bin", 3 * MiB + 5],
  ["with spaces/  two leading spaces.txt", 321],
  ["ünïcødé/日本語 ファイル.bin", 100_003],
  ["ünïcødé/résumé (NFC) é.txt", 77],
  ["ünïcødé/re\u0301sume\u0301 (NFD) é.txt", 78],
  ["ünïcødé/emoji 🚀.dat", 4096],
  ["big/six MiB.bin", 6 * MiB + 7],
  ["big/eleven MiB.bin", 11 * MiB],
];
const TREE_EMPTY_DIRECTORIES: readonly string[] = ["empty dir", "a/b/empty inner"];

async function makeTree(root: string): Promise<number> {
  let bytes = 0;
  for (const directory of TREE_EMPTY_DIRECTORIES) await mkdir(join(root, directory), { recursive: true });
  for (const [path, size] of TREE_FILES) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), random(size));
    bytes += size;
  }
  return bytes;
}

/** Size and SHA-256 of what `cmd args` writes on stdout, hashed as it streams. */
function hashOutput(
  cmd: string,
  args: readonly string[],
): Promise<{ code: number; size: number; sha256: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { stdio: ["ignore", "pipe", "pipe"] });
    const hash = createHash("sha256");
    let size = 0;
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      size += chunk.length;
      hash.update(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, size, sha256: hash.digest("hex"), stderr }));
  });
}

/** Samples a process's VmRSS every 100 ms until stopped. */
function sampleResident(pid: number): { stop(): Promise<{ peak: number; samples: number[] }> } {
  const samples: number[] = [];
  let reading: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    reading = reading.then(async () => {
      samples.push(await residentBytes(pid));
    });
  }, 100);
  return {
    async stop() {
      clearInterval(timer);
      await reading;
      return { peak: Math.max(...samples), samples };
    },
  };
}

/** The largest of each quarter of `samples`, in MiB: does the memory climb as the upload goes on? */
function quarterPeaks(samples: readonly number[]): string {
  const quarters = [0, 1, 2, 3].map((q) =>
    Math.max(...samples.slice(Math.floor((samples.length * q) / 4), Math.floor((samples.length * (q + 1)) / 4))),
  );
  return quarters.map((bytes) => (bytes / MiB).toFixed(1)).join(" / ");
}

const environment = s3Environment();
if ("unavailable" in environment) {
  describe("FTP clients against FtpServer on S3FileSystem", () => {
    // A missing store is a failure to see, never a skipped test.
    it("has an S3 store to test against", () => {
      throw new Error(`no S3 store: ${environment.unavailable}`);
    });
  });
} else {
  const context = useBucket("clients");
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "ftpkit-s3-clients-"));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  describe("lftp against FtpServer on S3FileSystem", () => {
    let server: FtpServer;
    let prefix: string;
    let target: FtpTarget;

    beforeEach(async () => {
      prefix = `${uniqueName("lftp")}/`;
      const fs = new S3FileSystem({ client: context.client, bucket: context.bucket, prefix });
      server = new FtpServer({
        host: "127.0.0.1",
        port: 0,
        authenticate: ({ user, password }) => (user === "alice" && password === "secret" ? { fs } : null),
        limits: { failedLoginDelay: 0 },
      });
      const { port } = await server.listen();
      target = { port, user: "alice", password: "secret", tls: false };
    });
    afterEach(async () => {
      await server.close();
      await emptyPrefix(context.client, context.bucket, prefix);
    });

    it("mirrors a tree up (mirror -R) and back down (mirror): same bytes, same structure, empty directories included", async () => {
      const source = join(work, "mirror-source");
      const bytes = await makeTree(source);
      const expected = await snapshot(source);

      let started = Date.now();
      const up = await lftp(target, [`mirror -R --parallel=2 "${source}" tree`]);
      const upMs = Date.now() - started;
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toBe("");

      // In the bucket: one object per file with its size, and a marker for every directory
      // (lftp makes each with MKD, the mirror's root "tree/" too), so the empty ones exist.
      const objects = new Map<string, number>();
      let token: string | undefined;
      do {
        const page = await context.client.send(
          new ListObjectsV2Command({ Bucket: context.bucket, Prefix: `${prefix}tree/`, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) objects.set(object.Key!.slice(prefix.length + 5), object.Size!);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      expect(Object.fromEntries(objects)).toEqual(
        Object.fromEntries([
          ["", 0],
          ...expected.map((entry) => (entry.type === "file" ? [entry.path, entry.size] : [`${entry.path}/`, 0])),
        ]),
      );

      const back = join(work, "mirror-back");
      started = Date.now();
      const down = await lftp(target, [`mirror --parallel=2 tree "${back}"`]);
      const downMs = Date.now() - started;
      expect(down.code, down.stderr).toBe(0);
      expect(down.stderr).toBe("");
      expect(await snapshot(back)).toEqual(expected);

      const directories = expected.filter((entry) => entry.type === "directory").length;
      console.log(
        `[storage-s3] lftp mirror: ${expected.length - directories} files (${mib(bytes)}) in ${directories} directories ` +
          `(${TREE_EMPTY_DIRECTORIES.length} empty): up (mirror -R) ${seconds(upMs)}, down (mirror) ${seconds(downMs)}`,
      );
    }, 300_000);

    it("resumes a download with get -c (REST from the local file's size)", async () => {
      const data = random(7 * MiB + 11);
      const local = join(work, "lftp-resume");
      await mkdir(local, { recursive: true });
      await writeFile(join(local, "whole.bin"), data);
      const up = await lftp(target, [`lcd "${local}"`, "put whole.bin -o resume.bin"]);
      expect(up.code, up.stderr).toBe(0);
      await writeFile(join(local, "resume.bin"), data.subarray(0, 2 * MiB + 3));
      const resumed = await lftp(target, ["debug 9", `lcd "${local}"`, "get -c resume.bin"]);
      expect(resumed.code, resumed.stderr).toBe(0);
      // lftp's debug log: "--->" a command sent, "<---" a reply.
      expect(resumed.stderr).toContain(`---> REST ${2 * MiB + 3}\n<--- 350`);
      expect(sha256(await readFile(join(local, "resume.bin")))).toBe(sha256(data));
    }, 120_000);
  });

  describe("curl uploads 1 GiB through a server in a child process", () => {
    it("keeps the server's resident memory flat, and the object has the same size and SHA-256", async () => {
      // The file to upload on tmpfs when it has room, so that reading it costs no disk I/O.
      const shm = await statfs("/dev/shm").catch(() => undefined);
      const base = shm && shm.bavail * shm.bsize > 3 * GiB ? "/dev/shm" : tmpdir();
      const dir = await mkdtemp(join(base, "ftpkit-s3-1gib-"));
      const prefix = `${uniqueName("big")}/`;
      const key = `${prefix}big.bin`;
      let child: S3ChildServer | undefined;
      try {
        const file = join(dir, "big.bin");
        const expectedHash = createHash("sha256");
        const handle = await open(file, "w");
        const chunk = Buffer.allocUnsafe(4 * MiB);
        for (let written = 0; written < GiB; written += chunk.length) {
          randomFillSync(chunk);
          expectedHash.update(chunk);
          await handle.write(chunk);
        }
        await handle.close();
        const expectedSha = expectedHash.digest("hex");
        expect((await stat(file)).size).toBe(GiB);

        child = await S3ChildServer.start({ ...environment, bucket: context.bucket, prefix });
        const url = `ftp://alice:secret@127.0.0.1:${child.port}`;
        const curl = (args: readonly string[]) =>
          run(CURL, ["--silent", "--show-error", "--max-time", "900", ...args], { timeoutMs: 900_000 });

        // Warm-up: a 12 MiB upload (three parts) loads and runs every code path of an upload
        // once, so that the baseline is a server that has uploaded before.
        const warm = join(dir, "warm.bin");
        await writeFile(warm, random(12 * MiB));
        expect(await curl(["-T", warm, `${url}/warm.bin`])).toMatchObject({ code: 0, stderr: "" });
        expect(await curl(["-Q", "DELE warm.bin", `${url}/`])).toMatchObject({ code: 0, stderr: "" });
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const baseline = await residentBytes(child.pid);

        const sampler = sampleResident(child.pid);
        await child.startMemorySampling();
        const started = Date.now();
        const up = await curl(["-T", file, `${url}/big.bin`]);
        const uploadMs = Date.now() - started;
        const { peak, samples } = await sampler.stop();
        const inside = await child.stopMemorySampling();
        expect(up.code, up.stderr).toBe(0);
        expect(up.stderr).toBe("");

        const head = await context.client.send(new HeadObjectCommand({ Bucket: context.bucket, Key: key }));
        expect(head.ContentLength).toBe(GiB);
        // A multipart upload's ETag ends in its part count: 205 parts of 5 MiB (the last 4 MiB).
        expect(head.ETag).toMatch(/-205"$/);

        // Downloaded through the same server (RETR: a streamed GET), hashed as it arrives.
        const downSampler = sampleResident(child.pid);
        const downStarted = Date.now();
        const down = await hashOutput(CURL, ["--silent", "--show-error", "--max-time", "900", `${url}/big.bin`]);
        const downloadMs = Date.now() - downStarted;
        const downPeak = await downSampler.stop();
        expect(down).toMatchObject({ code: 0, stderr: "", size: GiB, sha256: expectedSha });

        const growth = peak - baseline;
        console.log(
          `[storage-s3] 1 GiB upload (curl -T from ${base}): ${seconds(uploadMs)}, ${(GiB / MiB / (uploadMs / 1000)).toFixed(1)} MiB/s; ` +
            `server RSS baseline ${mib(baseline)}, peak ${mib(peak)} (+${mib(growth)}; ${samples.length} samples every 100 ms, ` +
            `peak per quarter of the upload ${quarterPeaks(samples)} MiB; at the peak: heap ${mib(inside.heapUsed)} of ` +
            `${mib(inside.heapTotal)}, Buffers ${mib(inside.arrayBuffers)}); ` +
            `download ${seconds(downloadMs)}, ${(GiB / MiB / (downloadMs / 1000)).toFixed(1)} MiB/s, RSS peak ${mib(downPeak.peak)} ` +
            `(+${mib(downPeak.peak - baseline)})`,
        );
        expect(samples.length).toBeGreaterThan(0);
        // The bound. S3FileSystem's defaults (partSize 5 MiB, queueSize 2) hold at most
        // (queueSize + 2) × partSize = 20 MiB of an upload's bytes at a time: two parts in flight,
        // the one filling, and lib-storage's copy while it cuts a part; the stream buffers on the
        // way (socket, 256 KiB Writable, 256 KiB PassThrough) add under 1 MiB. Parts sent are
        // freed only when V8 collects their Buffers, which it does once external memory has grown
        // by some tens of MiB, and the heap grows a little with the requests' garbage. Measured
        // here: +50 to +60 MiB, with Buffers at about 33 MiB and the heap at about 15 MiB at the
        // peak, and the same peak in every quarter of the upload. 128 MiB is twice that and an
        // eighth of the file: a server that kept any sizeable share of the file in memory fails.
        expect(growth).toBeLessThan(128 * MiB);
        // The download (RETR: a ranged GET streamed to the data connection) holds no more.
        expect(downPeak.peak - baseline).toBeLessThan(128 * MiB);

        await context.client.send(new DeleteObjectCommand({ Bucket: context.bucket, Key: key }));
        expect(await child.close()).toEqual([]);
        expect(await child.exited).toEqual({ code: 0, signal: null });
      } finally {
        await child?.stop();
        await emptyPrefix(context.client, context.bucket, prefix);
        await rm(dir, { recursive: true, force: true });
      }
    }, 900_000);
  });
}
