/**
 * Transfers against the fault server: completion in either order (226 before or after the
 * data EOF), resume with REST/APPE, dropped data and control connections with automatic
 * reconnect, data-idle timeouts, progress, TYPE A, streams.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import type { FaultContext } from "../__tests__/fault-server.js";
import { collector, connect, faultServer, random, sha256, tempDir } from "../__tests__/helpers.js";
import { FtpConnectionError } from "../errors/ftp-connection-error.js";
import { FtpTimeoutError } from "../errors/ftp-timeout-error.js";
import type { TransferProgress } from "./progress.js";

const data = random(1_000_000);

/** A RETR handler that serves the file with the given fault on its first call. */
function retrFault(options: Parameters<FaultContext["sendData"]>[1]) {
  return async (ctx: FaultContext) => {
    const file = ctx.server.files.get(ctx.resolve(ctx.argument));
    const rest = ctx.rest;
    ctx.rest = 0;
    await ctx.sendData((file?.data ?? Buffer.alloc(0)).subarray(rest), options);
  };
}

describe("download completion", () => {
  it.each(["eof-first", "reply-first"] as const)("completes with every byte when the order is %s", async (order) => {
    const server = await faultServer({ files: { "/f": data }, script: { RETR: retrFault({ order }) } });
    const client = await connect(server);
    for (let i = 0; i < 3; i++) {
      const sink = collector();
      await client.download("f", sink);
      expect(sha256(sink.data())).toBe(sha256(data));
    }
    expect(await client.pwd()).toBe("/");
  });

  it("downloads an empty file and creates it", async () => {
    const server = await faultServer({ files: { "/empty": "" } });
    const client = await connect(server);
    const dir = await tempDir();
    const result = await client.download("empty", path.join(dir, "empty"));
    expect(result.bytes).toBe(0);
    expect(await readFile(path.join(dir, "empty"))).toHaveLength(0);
  });

  it("does not create or truncate the local file when RETR is refused", async () => {
    const server = await faultServer();
    const client = await connect(server);
    const dir = await tempDir();
    await expect(client.download("missing", path.join(dir, "new"))).rejects.toMatchObject({ code: 550 });
    expect(existsSync(path.join(dir, "new"))).toBe(false);
    await writeFile(path.join(dir, "kept"), "precious");
    await expect(client.download("missing", path.join(dir, "kept"))).rejects.toMatchObject({ code: 550 });
    expect(await readFile(path.join(dir, "kept"), "utf8")).toBe("precious");
  });
});

describe("resume and reconnect", () => {
  it("downloads from an offset with REST into the same position of a local file", async () => {
    const server = await faultServer({ files: { "/f": data } });
    const client = await connect(server);
    const dir = await tempDir();
    const local = path.join(dir, "f");
    await writeFile(local, data.subarray(0, 300_000));
    const result = await client.download("f", local, { offset: 300_000 });
    expect(result.bytes).toBe(data.length - 300_000);
    expect(sha256(await readFile(local))).toBe(sha256(data));
    expect(server.sent("REST")).toEqual(["REST 300000"]);
  });

  it("resumes after the data connection drops with a 426", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: {
        RETR: [
          async (ctx) => {
            await retrFault({ dropAfter: 400_000, finalReply: null })(ctx);
            await ctx.delay(50);
            ctx.reply(426, "Connection closed; transfer aborted");
          },
        ],
      },
    });
    const client = await connect(server);
    const dir = await tempDir();
    await client.download("f", path.join(dir, "f"));
    expect(sha256(await readFile(path.join(dir, "f")))).toBe(sha256(data));
    expect(server.sent("REST")).toEqual(["REST 400000"]);
  });

  it("resumes after the data connection is reset", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: { RETR: [retrFault({ dropAfter: 400_000, reset: true, finalReply: [426, "Connection reset"] })] },
    });
    const client = await connect(server);
    const sink = collector();
    await client.download("f", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
    expect(server.sent("RETR")).toHaveLength(2);
  });

  it("detects a truncated download the server reports as complete, and resumes it", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: { RETR: [retrFault({ dropAfter: 123_456, finalReply: [226, "Transfer complete (not really)"] })] },
    });
    const client = await connect(server);
    const sink = collector();
    await client.download("f", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
    expect(server.sent("REST")).toEqual(["REST 123456"]);
  });

  it("reports a truncated download when retries are off", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: { RETR: retrFault({ dropAfter: 1000, finalReply: [226, "done"] }) },
    });
    const client = await connect(server, { retries: 0 });
    const error = await client.download("f", collector()).catch((e) => e);
    expect(FtpConnectionError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_PARTIAL_TRANSFER", command: "RETR f" });
  });

  it("reconnects and resumes when the control connection drops mid-transfer", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: {
        RETR: [
          async (ctx) => {
            await retrFault({ dropAfter: 500_000, finalReply: null })(ctx);
            ctx.destroyControl();
          },
        ],
      },
    });
    const client = await connect(server);
    const dir = await tempDir();
    await client.download("/f", path.join(dir, "f"));
    expect(sha256(await readFile(path.join(dir, "f")))).toBe(sha256(data));
    expect(server.connections).toBe(2);
    expect(server.sent("REST")).toHaveLength(1);
  });

  it("copes with a server that resets the data connection after the last byte", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: {
        RETR: [
          async (ctx) => {
            const socket = await ctx.dataSocket();
            ctx.reply(150, "go");
            socket?.write(data, () => {
              setTimeout(() => {
                socket.resetAndDestroy();
                ctx.reply(226, "done");
              }, 50);
            });
          },
        ],
      },
    });
    const client = await connect(server);
    const sink = collector();
    await client.download("f", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
    expect(server.sent("RETR").length).toBeLessThanOrEqual(2);
  });

  it("times out a transfer whose control connection closed after the 226 while its data stalls", async () => {
    const handler = async (ctx: FaultContext) => {
      const socket = await ctx.dataSocket();
      ctx.reply(150, "go");
      socket?.write(data.subarray(0, 100_000), () => {
        ctx.reply(226, "Transfer complete (but the data is not)");
        setTimeout(() => ctx.destroyControl(), 20);
      });
    };
    const server = await faultServer({ files: { "/f": data }, script: { RETR: [handler, handler] } });
    const client = await connect(server, { dataIdleTimeout: 200, retries: 0 });
    const error = await client.download("f", collector()).catch((e) => e);
    expect(FtpTimeoutError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_DATA_TIMEOUT", command: "RETR f" });
    const retrying = await connect(server, { dataIdleTimeout: 200 });
    const sink = collector();
    await retrying.download("f", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
  });

  it("gives up after `retries` attempts, with back-off between them", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: { RETR: (ctx) => ctx.reply(425, "Cannot open data connection") },
    });
    const client = await connect(server, { retries: 2, retryDelay: 40 });
    const started = Date.now();
    await expect(client.download("f", collector())).rejects.toMatchObject({ code: 425 });
    expect(server.sent("RETR")).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40 + 80 - 5);
  });

  it("keeps retrying while attempts make progress: `retries` counts failures in a row without progress", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: {
        RETR: async (ctx) => {
          await retrFault({ dropAfter: 300_000, finalReply: null })(ctx);
          await ctx.delay(20);
          ctx.reply(426, "dropped again");
        },
      },
    });
    const client = await connect(server, { retries: 1 });
    const sink = collector();
    await client.download("f", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
    expect(server.sent("REST")).toEqual(["REST 300000", "REST 600000", "REST 900000"]);
  });

  it("does not retry a permanent error", async () => {
    const server = await faultServer();
    const client = await connect(server);
    await expect(client.download("nope", collector())).rejects.toMatchObject({ code: 550 });
    expect(server.sent("RETR")).toHaveLength(1);
  });

  it("times out a stalled data connection (dataIdleTimeout) and resumes on a new connection", async () => {
    const stalling = await faultServer({
      files: { "/f": data },
      script: {
        RETR: [
          async (ctx) => {
            const socket = await ctx.dataSocket();
            ctx.reply(150, "Here it comes");
            socket?.write(data.subarray(0, 100_000));
            ctx.silence();
          },
        ],
      },
    });
    const client = await connect(stalling, { dataIdleTimeout: 200, retries: 0 });
    const error = await client.download("f", collector()).catch((e) => e);
    expect(FtpTimeoutError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_DATA_TIMEOUT", command: "RETR f" });
    const retrying = await connect(stalling, { dataIdleTimeout: 200 });
    const sink = collector();
    await retrying.download("f", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
  });

  it("uploads from an offset (REST + STOR) and appends (APPE)", async () => {
    const server = await faultServer({ files: { "/f": data.subarray(0, 250_000) } });
    const client = await connect(server);
    const dir = await tempDir();
    await writeFile(path.join(dir, "f"), data);
    const result = await client.upload(path.join(dir, "f"), "f", { offset: 250_000 });
    expect(result.bytes).toBe(data.length - 250_000);
    expect(sha256(server.files.get("/f")?.data ?? Buffer.alloc(0))).toBe(sha256(data));
    expect(server.sent("REST")).toEqual(["REST 250000"]);
    await client.upload(Buffer.from("tail"), "f", { append: true });
    expect(server.files.get("/f")?.data.subarray(-4).toString()).toBe("tail");
    expect(server.sent("APPE")).toEqual(["APPE f"]);
  });

  it("resumes an upload from a path after the connection drops (SIZE, then APPE)", async () => {
    const server = await faultServer({
      script: {
        STOR: [
          async (ctx) => {
            const socket = await ctx.dataSocket();
            ctx.reply(150, "go");
            const got: Buffer[] = [];
            let size = 0;
            await new Promise<void>((resolve) => {
              socket?.on("data", (chunk: Buffer) => {
                got.push(chunk);
                size += chunk.length;
                if (size > 300_000) {
                  socket.destroy();
                  resolve();
                }
              });
            });
            ctx.server.files.set(ctx.resolve(ctx.argument), { data: Buffer.concat(got), mtime: new Date() });
            ctx.destroyControl();
          },
        ],
      },
    });
    const client = await connect(server);
    const dir = await tempDir();
    await writeFile(path.join(dir, "up"), data);
    await client.upload(path.join(dir, "up"), "/up");
    expect(sha256(server.files.get("/up")?.data ?? Buffer.alloc(0))).toBe(sha256(data));
    expect(server.sent("APPE")).toEqual(["APPE /up"]);
    expect(server.connections).toBe(2);
  });

  it("does not retry an upload from a stream (it cannot be read twice)", async () => {
    const server = await faultServer({ script: { STOR: [(ctx) => ctx.reply(425, "no data connection")] } });
    const client = await connect(server);
    await expect(client.upload(Readable.from([Buffer.from("abc")]), "s")).rejects.toMatchObject({ code: 425 });
    expect(server.sent("STOR")).toHaveLength(1);
  });

  it("reports a server error in the middle of an upload", async () => {
    const server = await faultServer({
      script: {
        STOR: async (ctx) => {
          const socket = await ctx.dataSocket();
          ctx.reply(150, "go");
          await new Promise<void>((resolve) => socket?.once("data", () => resolve()));
          socket?.destroy();
          ctx.reply(552, "Quota exceeded");
        },
      },
    });
    const client = await connect(server);
    await expect(client.upload(data, "big")).rejects.toMatchObject({ code: 552, command: "STOR big" });
    expect(await client.pwd()).toBe("/");
  });

  it("reports STOR refused before any data", async () => {
    const server = await faultServer();
    const client = await connect(server);
    await expect(client.upload(data, "/no/such/dir/f")).rejects.toMatchObject({ code: 553 });
  });
});

describe("progress", () => {
  it("reports bytes, the SIZE total and a rate, ending at the total", async () => {
    const server = await faultServer({ files: { "/f": data }, script: { RETR: retrFault({ chunkDelay: 15 }) } });
    const client = await connect(server);
    const seen: TransferProgress[] = [];
    await client.download("f", collector(), { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(1);
    const last = seen.at(-1) as TransferProgress;
    expect(last).toMatchObject({ bytes: data.length, total: data.length });
    expect(last.rate).toBeGreaterThan(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i]?.bytes).toBeGreaterThanOrEqual(seen[i - 1]?.bytes ?? 0);
    const up: TransferProgress[] = [];
    await client.upload(data, "g", { onProgress: (p) => up.push(p) });
    expect(up.at(-1)).toMatchObject({ bytes: data.length, total: data.length });
  });

  it("counts a resume offset in bytes", async () => {
    const server = await faultServer({ files: { "/f": data } });
    const client = await connect(server);
    const seen: TransferProgress[] = [];
    await client.download("f", collector(), { offset: 900_000, onProgress: (p) => seen.push(p) });
    expect(seen.at(-1)).toMatchObject({ bytes: data.length, total: data.length });
  });
});

describe("representation type", () => {
  it("sends TYPE I once by default and TYPE A on request, converting line ends", async () => {
    const server = await faultServer({ files: { "/t.txt": "a\r\nb\r\n" } });
    const client = await connect(server);
    await client.download("t.txt", collector());
    await client.download("t.txt", collector());
    expect(server.sent("TYPE")).toEqual(["TYPE I"]);
    const text = collector();
    await client.download("t.txt", text, { type: "ascii" });
    expect(text.data().toString()).toBe("a\nb\n");
    await client.upload(Buffer.from("x\ny\n"), "u.txt", { type: "ascii" });
    expect(server.files.get("/u.txt")?.data.toString()).toBe("x\r\ny\r\n");
    expect(server.sent("TYPE")).toEqual(["TYPE I", "TYPE A"]);
    await client.size("t.txt");
    expect(server.sent("TYPE")).toEqual(["TYPE I", "TYPE A", "TYPE I"]);
  });
});

describe("streams", () => {
  it("createReadStream is an async iterable with the file's bytes", async () => {
    const server = await faultServer({ files: { "/f": data } });
    const client = await connect(server);
    const chunks: Buffer[] = [];
    for await (const chunk of client.createReadStream("f")) chunks.push(chunk as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
    const tail: Buffer[] = [];
    for await (const chunk of client.createReadStream("f", { offset: 999_000 })) tail.push(chunk as Buffer);
    expect(Buffer.concat(tail)).toEqual(data.subarray(999_000));
  });

  it("keeps back-pressure: a slow consumer does not trip dataIdleTimeout", async () => {
    const server = await faultServer({ files: { "/f": data } });
    const client = await connect(server, { dataIdleTimeout: 150 });
    let total = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _e, callback) {
        total += chunk.length;
        setTimeout(callback, total < 200_000 ? 60 : 0);
      },
    });
    await pipeline(client.createReadStream("f"), slow);
    expect(total).toBe(data.length);
  });

  it("destroying a read stream aborts the download with ABOR; the client stays usable", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: { RETR: retrFault({ chunkDelay: 20, chunkSize: 16_384 }) },
    });
    const client = await connect(server);
    const stream = client.createReadStream("f");
    await new Promise<void>((resolve) => stream.once("data", () => resolve()));
    stream.destroy();
    expect(await client.pwd()).toBe("/");
    expect(server.sent("ABOR")).toHaveLength(1);
  });

  it("createWriteStream finishes only after the server's 226", async () => {
    let stored = false;
    const server = await faultServer({
      script: {
        STOR: async (ctx) => {
          const received = await ctx.receiveData();
          await ctx.delay(50);
          ctx.server.files.set(ctx.resolve(ctx.argument), { data: received ?? Buffer.alloc(0), mtime: new Date() });
          stored = true;
          ctx.reply(226, "stored");
        },
      },
    });
    const client = await connect(server);
    const writable = client.createWriteStream("w.bin");
    await pipeline(Readable.from([data.subarray(0, 500_000), data.subarray(500_000)]), writable);
    expect(stored).toBe(true);
    expect(sha256(server.files.get("/w.bin")?.data ?? Buffer.alloc(0))).toBe(sha256(data));
  });

  it("createWriteStream errors when the server refuses the file", async () => {
    const server = await faultServer();
    const client = await connect(server);
    const writable = client.createWriteStream("/missing/dir/w.bin");
    await expect(pipeline(Readable.from([Buffer.from("abc")]), writable)).rejects.toMatchObject({ code: 553 });
    expect(await client.pwd()).toBe("/");
  });

  it("uploads from an async iterable", async () => {
    const server = await faultServer();
    const client = await connect(server);
    async function* parts() {
      yield data.subarray(0, 10);
      yield data.subarray(10);
    }
    await client.upload(parts(), "it.bin");
    expect(sha256(server.files.get("/it.bin")?.data ?? Buffer.alloc(0))).toBe(sha256(data));
  });
});
