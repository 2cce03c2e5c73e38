/**
 * The remaining error paths, one test each: local failures during transfers (destination,
 * source), a control connection cut mid-reply, reconnects that fail before they succeed,
 * active-mode listeners that cannot listen, resume without SIZE, aborted data connects.
 */
import net from "node:net";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { FaultContext } from "./__tests__/fault-server.js";
import { collector, connect, faultServer, random, sha256, tempDir } from "./__tests__/helpers.js";
import { FtpConnectionError } from "./errors/ftp-connection-error.js";

const data = random(600_000);

async function trickle(ctx: FaultContext): Promise<void> {
  const file = ctx.server.files.get(ctx.resolve(ctx.argument));
  const rest = ctx.rest;
  ctx.rest = 0;
  await ctx.sendData((file?.data ?? Buffer.alloc(0)).subarray(rest), { chunkSize: 16_384, chunkDelay: 5 });
}

describe("local failures during a transfer", () => {
  it("a download into a directory that does not exist fails with the file error, after ABOR", async () => {
    const server = await faultServer({ files: { "/f": data }, script: { RETR: trickle } });
    const client = await connect(server);
    const dir = await tempDir();
    await expect(client.download("f", path.join(dir, "missing", "f"))).rejects.toMatchObject({ code: "ENOENT" });
    expect(server.sent("ABOR")).toEqual(["ABOR"]);
    expect(await client.pwd()).toBe("/");
    expect(server.connections).toBe(1);
  });

  it("a destination stream that fails aborts the download with its error", async () => {
    const server = await faultServer({ files: { "/f": data }, script: { RETR: trickle } });
    const client = await connect(server);
    const failure = new Error("disk full");
    let writes = 0;
    const broken = new Writable({
      write(_chunk, _e, callback) {
        writes++;
        callback(writes > 2 ? failure : null);
      },
    });
    await expect(client.download("f", broken)).rejects.toBe(failure);
    expect(server.sent("ABOR")).toEqual(["ABOR"]);
    expect(await client.pwd()).toBe("/");
  });

  it("a source stream that fails aborts the upload with its error and is not retried", async () => {
    const server = await faultServer();
    const client = await connect(server);
    const failure = new Error("read error");
    let reads = 0;
    const source = new Readable({
      read() {
        reads++;
        if (reads > 3) this.destroy(failure);
        else setTimeout(() => this.push(Buffer.alloc(32_768, 3)), 2);
      },
    });
    await expect(client.upload(source, "u")).rejects.toBe(failure);
    expect(server.sent("STOR")).toHaveLength(1);
    expect(server.sent("ABOR")).toEqual(["ABOR"]);
    expect(await client.pwd()).toBe("/");
  });

  it("destroying a write stream aborts its upload", async () => {
    const server = await faultServer();
    const client = await connect(server);
    const writable = client.createWriteStream("w");
    const closed = new Promise((resolve) => writable.on("close", resolve));
    writable.on("error", () => {});
    writable.write(Buffer.alloc(100_000, 1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    writable.destroy(new Error("changed my mind"));
    await closed;
    expect(await client.pwd()).toBe("/");
    expect(server.sent("ABOR")).toEqual(["ABOR"]);
  });
});

describe("connections that fail", () => {
  it("reports a control connection cut in the middle of a reply", async () => {
    const server = await faultServer({
      script: {
        MKD: [
          (ctx) => {
            ctx.raw("25");
            ctx.closeControl();
          },
        ],
      },
    });
    const client = await connect(server);
    const error = await client.mkdir("x").catch((e) => e);
    expect(FtpConnectionError.isInstance(error)).toBe(true);
    expect(["FTP_ERR_CLOSED", "FTP_ERR_SOCKET"]).toContain((error as FtpConnectionError).code);
    await client.close();
  });

  it("retries a reconnect that is refused (421 greeting) before the resumed transfer succeeds", async () => {
    const server = await faultServer({
      files: { "/f": data },
      greeting: undefined,
      script: {
        RETR: [
          async (ctx) => {
            await ctx.sendData(data, { dropAfter: 200_000, finalReply: null });
            ctx.destroyControl();
          },
        ],
      },
    });
    let greetings = 0;
    server.options.greeting = (ctx) => {
      greetings++;
      if (greetings === 2) {
        ctx.reply(421, "Too many connections");
        ctx.closeControl();
      } else {
        ctx.reply(220, "ready");
      }
    };
    const client = await connect(server);
    const sink = collector();
    await client.download("f", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
    expect(server.connections).toBe(3);
  });

  it("aborts a passive data connection that hangs while connecting", async () => {
    const { spawn } = await import("node:child_process");
    const py = spawn("python3", [
      "-c",
      "import socket,time\ns=socket.socket();s.bind(('127.0.0.1',0));s.listen(0);print(s.getsockname()[1],flush=True);time.sleep(30)",
    ]);
    const port = await new Promise<number>((resolve) =>
      py.stdout.once("data", (d: Buffer) => resolve(Number(String(d)))),
    );
    const fillers = [0, 1, 2].map(() => net.connect(port, "127.0.0.1").on("error", () => {}));
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const server = await faultServer({
        files: { "/f": data },
        script: { EPSV: (ctx) => ctx.reply(229, `Entering Extended Passive Mode (|||${port}|)`) },
      });
      const client = await connect(server, { connectTimeout: 5000 });
      const controller = new AbortController();
      const reason = new Error("give up");
      setTimeout(() => controller.abort(reason), 100);
      // Rejected with the abort's reason, not the 5 s connect timeout's error.
      await expect(client.download("f", collector(), { signal: controller.signal })).rejects.toBe(reason);
      expect(server.sent("RETR")).toEqual([]);
      expect(await client.pwd()).toBe("/");
    } finally {
      for (const f of fillers) f.destroy();
      py.kill();
    }
  });

  it("reports an active-mode port range with no free port", async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const server = await faultServer({ files: { "/f": data } });
      const client = await connect(server, { mode: "active", activePortRange: [port, port], retries: 0 });
      const error = await client.download("f", collector()).catch((e) => e);
      expect(error).toMatchObject({ code: "FTP_ERR_DATA_CONNECTION" });
      expect(String(error.message)).toMatch(/listen/);
      expect(server.sent("EPRT")).toEqual([]);
    } finally {
      busy.close();
    }
  });
});

describe("resume without help from the server", () => {
  it("restarts an upload from the beginning when the server cannot tell its SIZE", async () => {
    const server = await faultServer({
      features: ["MLST type*;size*;", "UTF8"],
      script: {
        SIZE: (ctx) => ctx.reply(502, "SIZE not implemented"),
        STOR: [
          async (ctx) => {
            const socket = await ctx.dataSocket();
            ctx.reply(150, "go");
            await new Promise<void>((resolve) => socket?.once("data", () => resolve()));
            socket?.destroy();
            ctx.destroyControl();
          },
        ],
      },
    });
    const client = await connect(server);
    await client.upload(data, "u");
    expect(sha256(server.files.get("/u")?.data ?? Buffer.alloc(0))).toBe(sha256(data));
    expect(server.sent("STOR")).toEqual(["STOR u", "STOR u"]);
    expect(server.sent("APPE")).toEqual([]);
  });

  it("restarts a TYPE A download into a file from the beginning", async () => {
    const text = Buffer.from("line\r\n".repeat(50_000));
    const server = await faultServer({
      files: { "/t.txt": text },
      script: {
        RETR: [
          async (ctx) => {
            await ctx.sendData(text, { dropAfter: 100_000, finalReply: null });
            await ctx.delay(20);
            ctx.reply(426, "dropped");
          },
        ],
      },
    });
    const client = await connect(server);
    const dir = await tempDir();
    await client.download("t.txt", path.join(dir, "t.txt"), { type: "ascii" });
    const { readFile } = await import("node:fs/promises");
    expect(await readFile(path.join(dir, "t.txt"), "utf8")).toBe("line\n".repeat(50_000));
    expect(server.sent("REST")).toEqual([]);
    expect(server.sent("RETR")).toHaveLength(2);
  });

  it("refuses a recursive mkdir the server does not allow, and restores the directory", async () => {
    const server = await faultServer({
      files: { "/a/": "" },
      script: { MKD: (ctx) => ctx.reply(550, "Permission denied") },
    });
    const client = await connect(server);
    await expect(client.mkdir("/a/b/c", { recursive: true })).rejects.toMatchObject({ code: 550, command: "MKD /a/b" });
    expect(await client.pwd()).toBe("/");
  });
});
