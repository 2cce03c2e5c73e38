/**
 * What the conformance suite cannot see: S3 itself. Each test checks the objects the file
 * system leaves in the bucket (keys, markers, metadata, multipart uploads) and the requests it
 * makes, against the real RADOS Gateway.
 */
import { createHash, randomFillSync } from "node:crypto";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { kindOf, listAll, listNames, readAll, readFile, writeChunk, writeFile } from "@ftpkit/server/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { kindOfS3Error, S3FileSystem, type S3FileSystemOptions, toFileSystemError } from "../src/index.js";
import {
  createTestClient,
  emptyPrefix,
  listKeys,
  openMultipartUploads,
  putEmpty,
  s3Environment,
  uniqueName,
  useBucket,
} from "./s3-environment.js";

const MiB = 1024 * 1024;

/** Counts the S3 commands a client sends, by name (`ListObjectsV2Command`...). */
function countCommands(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? "unknown";
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: `count-${Math.random()}` },
  );
  return counts;
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function randomBytes(size: number): Buffer {
  return randomFillSync(Buffer.allocUnsafe(size));
}

const environment = s3Environment();
if ("unavailable" in environment) {
  describe("S3FileSystem on S3", () => {
    // A missing store is a failure to see, never a skipped test.
    it("has an S3 store to test against", () => {
      throw new Error(`no S3 store: ${environment.unavailable}`);
    });
  });
} else {
  const context = useBucket("s3fs");
  let prefix: string;
  let fs: S3FileSystem;
  /** A file system on this test's prefix, sharing the bucket's client unless given its own. */
  const make = (options: Partial<S3FileSystemOptions> = {}) =>
    new S3FileSystem({ client: context.client, bucket: context.bucket, prefix, ...options });
  /** The keys under this test's prefix, relative to it. */
  const keys = async () => (await listKeys(context.client, context.bucket, prefix)).map((k) => k.slice(prefix.length));

  beforeEach(() => {
    prefix = `${uniqueName("t")}/`;
    fs = make();
  });
  afterEach(async () => {
    await emptyPrefix(context.client, context.bucket, prefix);
  });

  describe("layout", () => {
    it("maps paths to keys under the prefix, with a marker object per directory", async () => {
      await fs.mkdir("/docs");
      await fs.mkdir("/docs/empty");
      await writeFile(fs, "/docs/a b.txt", "hello");
      expect((await keys()).sort()).toEqual(["docs/", "docs/a b.txt", "docs/empty/"]);
      const head = await context.client.send(new HeadObjectCommand({ Bucket: context.bucket, Key: `${prefix}docs/` }));
      expect(head.ContentLength).toBe(0);
    });

    it("sees a directory that has keys but no marker, and keeps it when its last file goes", async () => {
      await context.client.send(
        new PutObjectCommand({ Bucket: context.bucket, Key: `${prefix}implicit/file`, Body: "x", ContentLength: 1 }),
      );
      expect(await fs.stat("/implicit")).toMatchObject({ type: "directory", modifiedAt: new Date(0) });
      expect(await listNames(fs, "/")).toEqual(["implicit"]);
      await fs.unlink("/implicit/file");
      expect(await keys()).toEqual(["implicit/"]);
      expect(await listNames(fs, "/implicit")).toEqual([]);
    });

    it("leaves out keys that no virtual path can name", async () => {
      await putEmpty(
        context.environment,
        context.bucket,
        ["ok", "back\\slash", "double//slash", "dir/./x", "dir/ok"].map((key) => prefix + key),
      );
      expect(await listNames(fs, "/")).toEqual(["dir", "double", "ok"]);
      expect(await listNames(fs, "/dir")).toEqual(["ok"]);
      expect(await listNames(fs, "/double")).toEqual([]);
    });

    it("never reaches outside its prefix", async () => {
      const neighbour = `${prefix.slice(0, -1)}-neighbour/`;
      await context.client.send(
        new PutObjectCommand({ Bucket: context.bucket, Key: `${neighbour}secret`, Body: "s", ContentLength: 1 }),
      );
      try {
        const inner = make({ prefix: `${prefix}home` });
        await inner.mkdir("/sub");
        expect(await listNames(inner, "/")).toEqual(["sub"]);
        expect(await kindOf(inner.stat("/../../secret"))).toBe("not-found");
        expect(await listNames(fs, "/")).toEqual(["home"]);
      } finally {
        await emptyPrefix(context.client, context.bucket, neighbour);
      }
    });

    it("serves the whole bucket without a prefix", async () => {
      const top = uniqueName("top");
      const whole = new S3FileSystem({ client: context.client, bucket: context.bucket });
      try {
        await whole.mkdir(`/${top}`);
        await writeFile(whole, `/${top}/f`, "root");
        expect(await whole.stat("/")).toMatchObject({ name: "/", type: "directory" });
        expect(await listNames(whole, "/")).toContain(top);
        expect((await readFile(whole, `/${top}/f`)).toString()).toBe("root");
      } finally {
        await emptyPrefix(context.client, context.bucket, `${top}/`);
      }
    });
  });

  describe("list", () => {
    it("pages through more than 1,000 keys, streaming: one page ahead, not the whole directory", async () => {
      const names = Array.from({ length: 1250 }, (_, i) => `f-${String(i).padStart(5, "0")}`);
      const dirs = Array.from({ length: 1250 }, (_, i) => `d-${String(i).padStart(5, "0")}/`);
      await putEmpty(
        context.environment,
        context.bucket,
        [...names, ...dirs, ...dirs.map((d) => `${d}inner`)].map((key) => `${prefix}big/${key}`),
      );
      const client = createTestClient(context.environment);
      const counts = countCommands(client);
      const counted = make({ client });
      try {
        let seen = 0;
        for await (const _entry of counted.list("/big")) if (++seen === 10) break;
        // The first page, and at most the one requested ahead while the caller reads.
        expect(counts.get("ListObjectsV2Command") ?? 0).toBeLessThanOrEqual(2);

        counts.clear();
        const entries = await listAll(counted, "/big");
        expect(entries).toHaveLength(2500);
        expect(new Set(entries.map((e) => e.name)).size).toBe(2500);
        expect(entries.filter((e) => e.type === "directory").map((e) => e.name)).toEqual(
          dirs.map((d) => d.slice(0, -1)),
        );
        expect(entries.filter((e) => e.type === "file").map((e) => e.name)).toEqual(names);
        // 2,500 entries (CommonPrefixes and Contents count alike) take three pages or more (RGW
        // may end a page early when the keys under common prefixes fill its scan).
        expect(counts.get("ListObjectsV2Command")).toBeGreaterThanOrEqual(3);
        expect(counts.get("HeadObjectCommand") ?? 0).toBe(0);
      } finally {
        client.destroy();
      }
    }, 120_000);

    it("shows LastModified by default, and the MFMT time with listModifiedTimes: metadata", async () => {
      const mtime = new Date("2001-02-03T04:05:06.789Z");
      await writeFile(fs, "/f", "x");
      await fs.mkdir("/d");
      await fs.setModifiedTime("/f", mtime);
      await fs.setModifiedTime("/d", mtime);
      expect((await fs.stat("/f")).modifiedAt).toEqual(mtime);
      const listed = await listAll(fs, "/");
      expect(listed.find((e) => e.name === "f")?.modifiedAt.getTime()).toBeGreaterThan(Date.now() - 5 * 60_000);
      expect(listed.find((e) => e.name === "d")?.modifiedAt).toEqual(new Date(0));
      const withMetadata = await listAll(make({ listModifiedTimes: "metadata" }), "/");
      expect(withMetadata.map((e) => [e.name, e.modifiedAt])).toEqual([
        ["d", mtime],
        ["f", mtime],
      ]);
      const head = await context.client.send(new HeadObjectCommand({ Bucket: context.bucket, Key: `${prefix}f` }));
      expect(head.Metadata).toEqual({ mtime: "981173106.789" });
    });
  });

  describe("reads", () => {
    it("reads ranges of a multipart object across its part boundaries", async () => {
      const data = randomBytes(12 * MiB + 7);
      expect(await writeFile(fs, "/r.bin", data)).toBe(data.length);
      const head = await context.client.send(new HeadObjectCommand({ Bucket: context.bucket, Key: `${prefix}r.bin` }));
      expect(head.ETag).toMatch(/-3"$/); // three 5 MiB parts
      for (const start of [0, 1, 5 * MiB - 1, 5 * MiB, 10 * MiB + 3, data.length - 1, data.length, data.length + 10]) {
        const read = await readFile(fs, "/r.bin", start);
        expect(read.length).toBe(Math.max(0, data.length - start));
        expect(sha256(read)).toBe(sha256(data.subarray(start)));
      }
    });

    it("sends a ranged GET for REST and closes the request when the reader stops", async () => {
      await writeFile(fs, "/r.bin", randomBytes(3 * MiB));
      const client = createTestClient(context.environment);
      const counts = countCommands(client);
      try {
        const stream = await make({ client }).createReadStream("/r.bin", { start: 2 * MiB });
        const first = await new Promise<Buffer>((resolve) => stream.once("data", resolve));
        expect(first.length).toBeGreaterThan(0);
        stream.destroy();
        expect(counts.get("GetObjectCommand")).toBe(1);
        // The socket went back to the pool or was closed: a new request works at once.
        expect((await readAll(await make({ client }).createReadStream("/r.bin", { start: 3 * MiB - 2 }))).length).toBe(
          2,
        );
      } finally {
        client.destroy();
      }
    });
  });

  describe("uploads", () => {
    it("streams a 64 MiB upload in parts with bounded memory; nothing is visible before commit", async () => {
      const size = 64 * MiB;
      const gc = garbageCollector();
      gc();
      const baseline = process.memoryUsage().rss;
      let peak = 0;
      const sent = createHash("sha256");
      let produced = 0;
      const source = new Readable({
        read() {
          if (produced >= size) return void this.push(null);
          const chunk = randomBytes(MiB);
          sent.update(chunk);
          produced += chunk.length;
          if (produced % (8 * MiB) === 0) {
            gc();
            peak = Math.max(peak, process.memoryUsage().rss - baseline);
          }
          this.push(chunk);
        },
      });
      const target = await fs.openWrite("/big.bin", { mode: "standard" });
      let halfway: Promise<string> | undefined;
      const probe = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          if (produced >= 32 * MiB) halfway ??= kindOf(fs.stat("/big.bin"));
          callback(null, chunk);
        },
      });
      await pipeline(source, probe, target.stream);
      expect(await halfway).toBe("not-found");
      expect(await target.commit()).toEqual({ size });
      expect(peak).toBeLessThan(48 * MiB);
      const head = await context.client.send(
        new HeadObjectCommand({ Bucket: context.bucket, Key: `${prefix}big.bin` }),
      );
      expect(head.ContentLength).toBe(size);
      expect(head.ETag).toMatch(/-13"$/); // ceil(64 / 5) parts of 5 MiB
      const got = await context.client.send(new GetObjectCommand({ Bucket: context.bucket, Key: `${prefix}big.bin` }));
      const received = createHash("sha256");
      for await (const chunk of got.Body as Readable) received.update(chunk as Buffer);
      expect(received.digest("hex")).toBe(sent.digest("hex"));
      expect(await openMultipartUploads(context.client, context.bucket, prefix)).toEqual([]);
    }, 120_000);

    it("an aborted atomic multipart upload leaves no object, no parts, and the old file as it was", async () => {
      await writeFile(fs, "/old.bin", "OLD");
      for (const path of ["/old.bin", "/new.bin"]) {
        const target = await fs.openWrite(path, { mode: "atomic" });
        for (let i = 0; i < 12; i++) await writeChunk(target.stream, randomBytes(MiB)); // two parts sent
        await vi.waitFor(async () =>
          expect(await openMultipartUploads(context.client, context.bucket, prefix)).toHaveLength(1),
        );
        await target.abort();
      }
      expect(await keys()).toEqual(["old.bin"]);
      expect((await readFile(fs, "/old.bin")).toString()).toBe("OLD");
      expect(await openMultipartUploads(context.client, context.bucket, prefix)).toEqual([]);
    }, 60_000);

    it("an aborted atomic-resume multipart upload is completed with the bytes received", async () => {
      const data = randomBytes(11 * MiB);
      const target = await fs.openWrite("/kept.bin", { mode: "atomic-resume" });
      await writeChunk(target.stream, data);
      await target.abort();
      expect((await fs.stat("/kept.bin")).size).toBe(data.length);
      expect(sha256(await readFile(fs, "/kept.bin"))).toBe(sha256(data));
      expect(await openMultipartUploads(context.client, context.bucket, prefix)).toEqual([]);
    }, 60_000);

    it("a standard upload is hidden until it completes: S3 has no object in progress", async () => {
      await writeFile(fs, "/f", "OLD-CONTENT");
      const target = await fs.openWrite("/f", { mode: "standard" });
      await writeChunk(target.stream, "partial");
      expect((await readFile(fs, "/f")).toString()).toBe("OLD-CONTENT");
      await target.commit();
      expect((await readFile(fs, "/f")).toString()).toBe("partial");
    });

    it("REST and APPE copy the old object's large ranges inside S3 and read only small ones", async () => {
      const old = randomBytes(12 * MiB);
      await writeFile(fs, "/f.bin", old);
      const client = createTestClient(context.environment);
      const counts = countCommands(client);
      const counted = make({ client });
      try {
        // REST 7 MiB, 1 MiB of new bytes: head copied (7 MiB), tail copied (4 MiB).
        const patch = randomBytes(MiB);
        expect(await writeFile(counted, "/f.bin", patch, { mode: "atomic", start: 7 * MiB })).toBe(old.length);
        const expected = Buffer.concat([old.subarray(0, 7 * MiB), patch, old.subarray(8 * MiB)]);
        expect(sha256(await readFile(fs, "/f.bin"))).toBe(sha256(expected));
        expect(counts.get("UploadPartCopyCommand")).toBe(1); // the head; the 4 MiB tail fills the part of new bytes
        expect(counts.get("GetObjectCommand")).toBe(1);

        // REST 3 with two bytes: the part of new bytes is filled up to 5 MiB from the tail.
        counts.clear();
        expect(await writeFile(counted, "/f.bin", "XY", { mode: "standard", start: 3 })).toBe(old.length);
        expected.write("XY", 3);
        expect(sha256(await readFile(fs, "/f.bin"))).toBe(sha256(expected));
        expect(counts.get("UploadPartCopyCommand")).toBe(1);

        // APPE: the whole old object is one copied part, then the new bytes.
        counts.clear();
        const more = randomBytes(1000);
        expect(await writeFile(counted, "/f.bin", more, { mode: "atomic-resume", append: true })).toBe(
          old.length + 1000,
        );
        expect(sha256(await readFile(fs, "/f.bin"))).toBe(sha256(Buffer.concat([expected, more])));
        expect(counts.get("UploadPartCopyCommand")).toBe(1);
        expect(counts.get("GetObjectCommand") ?? 0).toBe(0);
      } finally {
        client.destroy();
      }
      expect(await openMultipartUploads(context.client, context.bucket, prefix)).toEqual([]);
    }, 60_000);

    it("an aborted resumed upload keeps old head, received bytes and old tail (atomic-resume)", async () => {
      const old = randomBytes(8 * MiB);
      await writeFile(fs, "/f.bin", old);
      const target = await fs.openWrite("/f.bin", { mode: "atomic-resume", start: MiB });
      const sent = randomBytes(6 * MiB);
      await writeChunk(target.stream, sent);
      await target.abort();
      const expected = Buffer.concat([old.subarray(0, MiB), sent, old.subarray(7 * MiB)]);
      expect(sha256(await readFile(fs, "/f.bin"))).toBe(sha256(expected));
    }, 60_000);

    it("refuses a REST gap above maxZeroFillBytes with not-supported", async () => {
      const small = make({ maxZeroFillBytes: 1000 });
      await writeFile(small, "/f", "ab");
      expect(await kindOf(small.openWrite("/f", { mode: "standard", start: 1003 }))).toBe("not-supported");
      expect(await writeFile(small, "/f", "c", { mode: "standard", start: 1001 })).toBe(1002);
      expect(await kindOf(make({ maxZeroFillBytes: 0 }).openWrite("/f", { mode: "atomic", start: 2000 }))).toBe(
        "not-supported",
      );
    });
  });

  describe("rename", () => {
    it("moves a directory tree: every object, empty and implicit directories, contents and times", async () => {
      const mtime = new Date("2010-01-02T03:04:05Z");
      await fs.mkdir("/src");
      await fs.mkdir("/src/empty");
      await fs.mkdir("/src/sub");
      await writeFile(fs, "/src/sub/deep.bin", randomBytes(6 * MiB));
      await writeFile(fs, "/src/top", "top");
      await fs.setModifiedTime("/src/top", mtime);
      await context.client.send(
        new PutObjectCommand({
          Bucket: context.bucket,
          Key: `${prefix}src/implicit/leaf`,
          Body: "l",
          ContentLength: 1,
        }),
      );
      const before = new Map<string, Date>();
      for (const path of ["/src/top", "/src/sub/deep.bin", "/src/implicit/leaf"]) {
        before.set(path.replace("/src", "/dst"), (await fs.stat(path)).modifiedAt);
      }
      const deep = sha256(await readFile(fs, "/src/sub/deep.bin"));
      await fs.mkdir("/into");
      await fs.rename("/src", "/into/dst");
      expect((await keys()).sort()).toEqual([
        "into/",
        "into/dst/",
        "into/dst/empty/",
        "into/dst/implicit/leaf",
        "into/dst/sub/",
        "into/dst/sub/deep.bin",
        "into/dst/top",
      ]);
      for (const [path, time] of before) expect((await fs.stat(`/into${path}`)).modifiedAt).toEqual(time);
      expect((await fs.stat("/into/dst/top")).modifiedAt).toEqual(mtime);
      expect(sha256(await readFile(fs, "/into/dst/sub/deep.bin"))).toBe(deep);
      expect(await listNames(fs, "/into/dst")).toEqual(["empty", "implicit", "sub", "top"]);
    }, 60_000);

    it("copies objects above multipartCopyThreshold in UploadPartCopy parts (rename and MFMT)", async () => {
      const data = randomBytes(12 * MiB + 5);
      await writeFile(fs, "/big.bin", data);
      const client = createTestClient(context.environment);
      const counts = countCommands(client);
      const small = make({ client, multipartCopyThreshold: 5 * MiB });
      try {
        const mtime = new Date("2020-06-07T08:09:10Z");
        await small.setModifiedTime("/big.bin", mtime);
        await small.rename("/big.bin", "/moved.bin");
        expect(counts.get("UploadPartCopyCommand")).toBe(6); // three 5 MiB pieces, twice
        expect(counts.get("CopyObjectCommand") ?? 0).toBe(0);
      } finally {
        client.destroy();
      }
      expect(await keys()).toEqual(["moved.bin"]);
      expect((await fs.stat("/moved.bin")).modifiedAt).toEqual(new Date("2020-06-07T08:09:10Z"));
      expect(sha256(await readFile(fs, "/moved.bin"))).toBe(sha256(data));
      const head = await context.client.send(
        new HeadObjectCommand({ Bucket: context.bucket, Key: `${prefix}moved.bin` }),
      );
      expect(head.ETag).toMatch(/-3"$/);
      expect(await openMultipartUploads(context.client, context.bucket, prefix)).toEqual([]);
    }, 60_000);

    it("refuses a directory above maxRenameBytes or maxRenameObjects with too-large, changing nothing", async () => {
      await fs.mkdir("/d");
      await writeFile(fs, "/d/a", randomBytes(600));
      await writeFile(fs, "/d/b", randomBytes(600));
      const before = (await keys()).sort();
      expect(await kindOf(make({ maxRenameBytes: 1000 }).rename("/d", "/e"))).toBe("too-large");
      expect(await kindOf(make({ maxRenameObjects: 2 }).rename("/d", "/e"))).toBe("too-large");
      expect((await keys()).sort()).toEqual(before);
      await make({ maxRenameBytes: 1200, maxRenameObjects: 3 }).rename("/d", "/e");
      expect((await keys()).sort()).toEqual(["e/", "e/a", "e/b"]);
      // A file is one copy whatever its size: the limits are for directories.
      await make({ maxRenameBytes: 0 }).rename("/e/a", "/e/c");
      expect(await listNames(fs, "/e")).toEqual(["b", "c"]);
    });
  });

  describe("names and concurrency", () => {
    it("STOU and MKD reserve names atomically across instances (two server nodes)", async () => {
      const other = make();
      await fs.mkdir("/d");
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 === 0 ? fs : other).createUnique!("/d", { mode: "standard", hint: "up" }),
        ),
      );
      const paths = results.map((r) => r.path);
      expect(new Set(paths).size).toBe(6);
      for (const { target } of results) {
        target.stream.end("x");
        await target.commit();
      }
      expect(await listNames(fs, "/d")).toHaveLength(6);
      const mkdirs = await Promise.allSettled([fs.mkdir("/race"), other.mkdir("/race"), fs.mkdir("/race")]);
      expect(mkdirs.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of mkdirs)
        if (r.status === "rejected") expect(await kindOf(Promise.reject(r.reason))).toBe("exists");
    });

    it("leaves createUnique out without conditional writes", () => {
      expect(make({ conditionalWrites: false }).createUnique).toBeUndefined();
      expect(typeof fs.createUnique).toBe("function");
    });

    it("handles keys with spaces, quotes, percent signs, plus signs and Unicode through copy and list", async () => {
      const names = ["a+b", "100% c", "it's (x)!*", "ünï ☕", "q?x=1&y", "#frag"];
      await fs.mkdir("/n");
      for (const name of names) await writeFile(fs, `/n/${name}`, name);
      await fs.mkdir("/m");
      for (const name of names) await fs.rename(`/n/${name}`, `/m/${name}`);
      expect(await listNames(fs, "/m")).toEqual([...names].sort());
      for (const name of names) expect((await readFile(fs, `/m/${name}`)).toString()).toBe(name);
      await fs.rename("/m", "/o");
      expect(await listNames(fs, "/o")).toEqual([...names].sort());
    });
  });

  describe("errors", () => {
    it("maps S3 error codes to storage error kinds", () => {
      const error = (name: string, status: number) =>
        Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
      expect(kindOfS3Error(error("NoSuchKey", 404))).toBe("not-found");
      expect(kindOfS3Error(error("AccessDenied", 403))).toBe("permission");
      expect(kindOfS3Error(error("SomethingForbidden", 403))).toBe("permission");
      expect(kindOfS3Error(error("SlowDown", 503))).toBe("busy");
      expect(kindOfS3Error(error("ServiceUnavailable", 503))).toBe("busy");
      expect(kindOfS3Error(error("EntityTooLarge", 400))).toBe("too-large");
      expect(kindOfS3Error(error("QuotaExceeded", 403))).toBe("quota");
      expect(kindOfS3Error(error("NoSuchBucket", 404))).toBe("io");
      expect(kindOfS3Error(error("InternalError", 500))).toBe("io");
      expect(kindOfS3Error(Object.assign(new Error("connect"), { code: "ECONNREFUSED" }))).toBe("io");
    });

    it("names neither the endpoint, the bucket nor a key in its messages", async () => {
      const denied = new S3FileSystem({
        client: {
          endpoint: context.environment.endpoint,
          credentials: { accessKeyId: context.environment.accessKeyId, secretAccessKey: "wrong" },
          maxAttempts: 1,
        },
        bucket: context.bucket,
        prefix,
      });
      const missingBucket = make({ bucket: uniqueName("no-such-bucket") });
      try {
        const attempts = [
          () => denied.stat("/x"),
          () => denied.mkdir("/x"),
          () => missingBucket.stat("/x"),
          () => listAll(missingBucket, "/"),
        ];
        for (const attempt of attempts) {
          const error = await attempt().then(
            () => undefined,
            (e: unknown) => e as Error,
          );
          expect(error).toBeInstanceOf(Error);
          const message = (error as Error).message;
          expect(message).toMatch(/^S3 \w+/);
          for (const secret of [context.environment.endpoint, "127.0.0.1", context.bucket, prefix, "no-such-bucket"]) {
            expect(message).not.toContain(secret);
          }
        }
        // Bad credentials are the server's configuration, not the client's fault: io, not permission.
        expect(await kindOf(listAll(denied, "/"))).toBe("io");
        expect(await kindOf(listAll(missingBucket, "/"))).toBe("io");
      } finally {
        denied.destroy();
      }
      expect(toFileSystemError(new Error("x"), "read", "/p").message).toBe("S3 read of /p failed: Error");
    });
  });
}

function garbageCollector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}
