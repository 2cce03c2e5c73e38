/**
 * The transfer fast paths of issue 9: borrowed download bytes copied in small pieces into a
 * caller's Writable, bytes and small files written to the data socket without a stream, and
 * the same results as the stream paths (TYPE A, offsets, resume, progress).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { connect, faultServer, random, sha256, tempDir } from "../__tests__/helpers.js";
import type { TransferProgress } from "./progress.js";
import { COPY_PIECE } from "./sinks.js";
import { SMALL_FILE } from "./sources.js";

const big = random(3 * 1024 * 1024 + 123);

describe("download into a Writable", () => {
  it("hands over owned copies of at most COPY_PIECE bytes that stay intact while the read buffer is reused", async () => {
    const server = await faultServer({ files: { "/f": big } });
    const client = await connect(server);
    const kept: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        kept.push(chunk);
        callback();
      },
    });
    const result = await client.download("f", sink);
    expect(result.bytes).toBe(big.length);
    expect(Math.max(...kept.map((chunk) => chunk.length))).toBeLessThanOrEqual(COPY_PIECE);
    // Every chunk was retained until the end: a view of the reused read buffer would have
    // been overwritten by later reads.
    expect(sha256(Buffer.concat(kept))).toBe(sha256(big));
  });
});

describe("upload from bytes and small files", () => {
  it("uploads bytes bigger than one piece, and from an offset", async () => {
    const server = await faultServer();
    const client = await connect(server);
    await client.upload(big, "b");
    expect(sha256(server.files.get("/b")?.data ?? Buffer.alloc(0))).toBe(sha256(big));
    await client.upload(big.subarray(0, 1000), "o");
    await client.upload(big, "o", { offset: 1000 });
    expect(sha256(server.files.get("/o")?.data ?? Buffer.alloc(0))).toBe(sha256(big));
    expect(server.sent("REST")).toEqual(["REST 1000"]);
  });

  it("converts LF to CRLF across piece boundaries in TYPE A", async () => {
    const server = await faultServer();
    const client = await connect(server);
    // A CR ends the first 1 MiB piece and its LF starts the next: the pair must stay CRLF.
    const text = Buffer.alloc(2 * 1024 * 1024 + 10, 0x61);
    text[1024 * 1024 - 1] = 0x0d;
    text[1024 * 1024] = 0x0a;
    text[5] = 0x0a;
    text[text.length - 1] = 0x0a;
    await client.upload(text, "t.txt", { type: "ascii" });
    const expected = Buffer.from(text.toString("latin1").replace(/(?<!\r)\n/g, "\r\n"), "latin1");
    expect(server.files.get("/t.txt")?.data.equals(expected)).toBe(true);
  });

  it.each([
    ["empty", 0],
    ["small", 4096],
    ["at the limit", SMALL_FILE],
    ["just above the limit (streamed)", SMALL_FILE + 1],
  ])("uploads a %s file with progress ending at its size", async (_name, size) => {
    const server = await faultServer();
    const client = await connect(server);
    const dir = await tempDir();
    const bytes = random(size);
    await writeFile(path.join(dir, "f"), bytes);
    const seen: TransferProgress[] = [];
    const result = await client.upload(path.join(dir, "f"), "f", { onProgress: (p) => seen.push(p) });
    expect(result.bytes).toBe(size);
    expect(server.files.get("/f")?.data.equals(bytes)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ bytes: size, total: size });
  });

  it("uploads a multi-MiB file from a path through reused buffers, whole and from an offset", async () => {
    const server = await faultServer();
    const client = await connect(server);
    const dir = await tempDir();
    await writeFile(path.join(dir, "big"), big);
    const seen: TransferProgress[] = [];
    const result = await client.upload(path.join(dir, "big"), "big", { onProgress: (p) => seen.push(p) });
    expect(result.bytes).toBe(big.length);
    expect(sha256(server.files.get("/big")?.data ?? Buffer.alloc(0))).toBe(sha256(big));
    expect(seen.at(-1)).toMatchObject({ bytes: big.length, total: big.length });
    await client.upload(big.subarray(0, 1_500_000), "part");
    await client.upload(path.join(dir, "big"), "part", { offset: 1_500_000 });
    expect(sha256(server.files.get("/part")?.data ?? Buffer.alloc(0))).toBe(sha256(big));
  });

  it("converts a multi-MiB text file from a path in TYPE A, CR and LF split across reads", async () => {
    const server = await faultServer();
    const client = await connect(server);
    const dir = await tempDir();
    const text = Buffer.alloc(2 * 1024 * 1024 + 10, 0x62);
    text[1024 * 1024 - 1] = 0x0d;
    text[1024 * 1024] = 0x0a;
    text[1024 * 1024 + 7] = 0x0a;
    await writeFile(path.join(dir, "t.txt"), text);
    await client.upload(path.join(dir, "t.txt"), "t.txt", { type: "ascii" });
    const expected = Buffer.from(text.toString("latin1").replace(/(?<!\r)\n/g, "\r\n"), "latin1");
    expect(server.files.get("/t.txt")?.data.equals(expected)).toBe(true);
  });

  it("sends bytes with STOR in passive mode without waiting for the 1yz (a server may read them first)", async () => {
    const server = await faultServer({
      script: {
        // Reads the whole file before it says anything: a client that waited for the 150
        // would wait forever.
        STOR: async (ctx) => {
          const socket = await ctx.dataSocket();
          const got: Buffer[] = [];
          await new Promise<void>((resolve) => {
            socket?.on("data", (chunk: Buffer) => got.push(chunk));
            socket?.on("end", () => resolve());
          });
          ctx.server.files.set(ctx.resolve(ctx.argument), { data: Buffer.concat(got), mtime: new Date() });
          ctx.reply(150, "go");
          ctx.reply(226, "done");
        },
      },
    });
    const client = await connect(server, { replyTimeout: 5_000 });
    const bytes = random(200_000);
    await client.upload(bytes, "early");
    expect(server.files.get("/early")?.data.equals(bytes)).toBe(true);
  });

  it("resumes a small file upload after the connection drops (SIZE, then APPE with the rest)", async () => {
    const server = await faultServer({
      script: {
        STOR: [
          async (ctx) => {
            const socket = await ctx.dataSocket();
            ctx.reply(150, "go");
            // Keep only the first 10,000 bytes, as if the connection had dropped there.
            const got: Buffer[] = [];
            await new Promise<void>((resolve) => {
              socket?.on("data", (chunk: Buffer) => got.push(chunk));
              socket?.on("end", () => resolve());
            });
            ctx.server.files.set(ctx.resolve(ctx.argument), {
              data: Buffer.concat(got).subarray(0, 10_000),
              mtime: new Date(),
            });
            ctx.destroyControl();
          },
        ],
      },
    });
    const client = await connect(server);
    const dir = await tempDir();
    const bytes = random(40_000);
    await writeFile(path.join(dir, "s"), bytes);
    await client.upload(path.join(dir, "s"), "/s");
    expect(server.files.get("/s")?.data.equals(bytes)).toBe(true);
    expect(server.sent("APPE")).toEqual(["APPE /s"]);
  });
});
