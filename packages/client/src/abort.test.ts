/**
 * AbortSignal on every call: a running transfer is ended with ABOR and the server's replies
 * are awaited (the connection stays in step and is reused), a queued call never starts, a
 * waiting command rejects at once and its late reply is still consumed.
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { FaultContext } from "./__tests__/fault-server.js";
import { collector, connect, faultServer, random } from "./__tests__/helpers.js";

const data = random(2_000_000);
const reason = { why: "user pressed cancel" };

/** RETR that trickles the file, so there is time to abort. */
async function slowRetr(ctx: FaultContext): Promise<void> {
  const file = ctx.server.files.get(ctx.resolve(ctx.argument));
  await ctx.sendData(file?.data ?? Buffer.alloc(0), { chunkSize: 16_384, chunkDelay: 10 });
}

describe("abort", () => {
  it("aborts a download with ABOR, rejects with the signal's reason, and keeps the connection", async () => {
    const server = await faultServer({ files: { "/f": data }, script: { RETR: slowRetr } });
    const client = await connect(server);
    const controller = new AbortController();
    const sink = collector();
    const download = client.download("f", sink, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytes > 100_000) controller.abort(reason);
      },
    });
    await expect(download).rejects.toBe(reason);
    expect(server.sent("ABOR")).toEqual(["ABOR"]);
    // In step: the next command gets its own reply, on the same connection.
    expect(await client.pwd()).toBe("/");
    expect(await client.size("f")).toBe(data.length);
    expect(server.connections).toBe(1);
    expect(sink.data().length).toBeLessThan(data.length);
  });

  it.each([
    ["426, then 226 for ABOR (RFC 959)", [426, "Transfer aborted"], [226, "ABOR successful"]],
    [
      "a 150 with statistics, then 226 (pure-ftpd 1.0.50)",
      [150, "1.003 seconds (measured here), 3.74 Mbytes per second"],
      [226, "Since you see this ABOR must've succeeded"],
    ],
    ["426, then 451 for ABOR (pure-ftpd on STOR)", [426, "Transfer aborted"], [451, "Transfer aborted"]],
    ["426, then 225", [426, "Connection closed"], [225, "ABOR command successful"]],
  ] as const)("stays in step when the server answers ABOR with %s", async (_name, transferReply, aborReply) => {
    const server = await faultServer({
      files: { "/f": data },
      script: {
        RETR: (ctx) => ctx.sendData(data, { chunkSize: 16_384, chunkDelay: 10, abortReply: transferReply }),
        ABOR: async (ctx) => {
          await ctx.abortRunningTransfer();
          ctx.reply(aborReply[0], aborReply[1]);
        },
      },
    });
    const client = await connect(server);
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 40);
    await expect(client.download("f", collector(), { signal: controller.signal })).rejects.toBe(reason);
    expect(await client.pwd()).toBe("/");
    expect(await client.send("NOOP")).toMatchObject({ code: 200 });
    expect(server.connections).toBe(1);
  });

  it("stays in step when the transfer finished before the ABOR arrived (226, then 225)", async () => {
    const server = await faultServer({
      files: { "/f": data.subarray(0, 100) },
      script: {
        RETR: async (ctx) => {
          await ctx.defaultHandler();
          await ctx.delay(30);
        },
      },
    });
    const client = await connect(server);
    const controller = new AbortController();
    const sink = new (await import("node:stream")).Writable({
      write(_chunk, _e, callback) {
        controller.abort(reason);
        setTimeout(callback, 20);
      },
    });
    const result = await client.download("f", sink, { signal: controller.signal }).catch((e) => e);
    // Either the download won the race or the abort did; the connection is in step both ways.
    expect(result === reason || (result as { bytes?: number }).bytes === 100).toBe(true);
    expect(await client.pwd()).toBe("/");
    expect(server.connections).toBe(1);
  });

  it("aborts an upload with a reset data connection and ABOR", async () => {
    const server = await faultServer();
    const client = await connect(server);
    const controller = new AbortController();
    let sent = 0;
    const source = new Readable({
      read() {
        sent += 16_384;
        if (sent > 200_000) controller.abort(reason);
        setTimeout(() => this.push(Buffer.alloc(16_384, 1)), 5);
      },
    });
    await expect(client.upload(source, "u", { signal: controller.signal })).rejects.toBe(reason);
    expect(server.sent("ABOR")).toEqual(["ABOR"]);
    // (Whether the server kept a partial file is its choice: a reset can look like an EOF to it.)
    expect(await client.pwd()).toBe("/");
    expect(server.connections).toBe(1);
  });

  it("aborts a listing", async () => {
    const server = await faultServer({
      files: { "/d/": "" },
      script: {
        MLSD: (ctx) =>
          ctx.sendData(Buffer.from("type=file;size=1; x\r\n".repeat(5000)), { chunkDelay: 10, chunkSize: 1000 }),
      },
    });
    const client = await connect(server);
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 30);
    await expect(client.list("/d", { signal: controller.signal })).rejects.toBe(reason);
    expect(await client.pwd()).toBe("/");
  });

  it("rejects with an AbortError when the signal has no reason of its own", async () => {
    const server = await faultServer({ files: { "/f": data }, script: { RETR: slowRetr } });
    const client = await connect(server);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const error = await client.download("f", collector(), { signal: controller.signal }).catch((e) => e);
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe("AbortError");
  });

  it("removes a queued call that is aborted before it starts; nothing of it is sent", async () => {
    const server = await faultServer({ files: { "/f": data.subarray(0, 200_000) }, script: { RETR: slowRetr } });
    const client = await connect(server);
    const controller = new AbortController();
    const first = client.download("f", collector());
    const second = client.mkdir("never", { signal: controller.signal });
    controller.abort(reason);
    await expect(second).rejects.toBe(reason);
    await first;
    expect(server.sent("MKD")).toEqual([]);
  });

  it("refuses at once with an already aborted signal", async () => {
    const server = await faultServer();
    const client = await connect(server);
    const before = server.commands.length;
    await expect(client.mkdir("x", { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(client.download("x", collector(), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(server.commands.length).toBe(before);
  });

  it("rejects a waiting command at once and still consumes its late reply", async () => {
    let replied = false;
    const server = await faultServer({
      script: {
        MKD: [
          async (ctx) => {
            await ctx.delay(100);
            replied = true;
            ctx.reply(257, '"/slow" created');
          },
        ],
      },
    });
    const client = await connect(server);
    const controller = new AbortController();
    const mkdir = client.mkdir("slow", { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 10);
    await expect(mkdir).rejects.toBe(reason);
    // Rejected on the abort, not on the reply.
    expect(replied).toBe(false);
    // The late 257 belongs to MKD, not to PWD.
    expect(await client.pwd()).toBe("/");
    expect(server.connections).toBe(1);
  });

  it("drops the connection when the server does not answer ABOR, and reconnects for the next call", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: {
        RETR: [
          async (ctx) => {
            await ctx.dataSocket().then((s) => s?.write(data.subarray(0, 50_000)));
            ctx.reply(150, "go");
            ctx.silence();
          },
        ],
      },
    });
    const client = await connect(server, { replyTimeout: 150, dataIdleTimeout: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 50);
    await expect(client.download("f", collector(), { signal: controller.signal })).rejects.toBe(reason);
    expect(await client.pwd()).toBe("/");
    expect(server.connections).toBe(2);
  });

  it("aborts the back-off wait between retries", async () => {
    const controller = new AbortController();
    const server = await faultServer({
      files: { "/f": data },
      script: {
        RETR: (ctx) => {
          ctx.reply(425, "no");
          setTimeout(() => controller.abort(reason), 30);
        },
      },
    });
    // An hour between retries: if the abort did not cut the wait short, the test would time out.
    const client = await connect(server, { retries: 5, retryDelay: 3_600_000 });
    await expect(client.download("f", collector(), { signal: controller.signal })).rejects.toBe(reason);
    expect(server.sent("RETR")).toHaveLength(1);
  });
});
