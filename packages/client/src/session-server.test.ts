/**
 * The client against the protocol package's ServerSession (DESIGN.md testing layer 2, with
 * real sockets): both ends are the pure state machines of @ftpkit/protocol, each under its
 * own thin I/O driver.
 */
import { describe, expect, it } from "vitest";
import { collector, FAST, onCleanup, random, sha256 } from "./__tests__/helpers.js";
import { SessionServer } from "./__tests__/session-server.js";
import { Client } from "./client.js";
import type { ConnectOptions } from "./options.js";

async function setup(files: Record<string, string | Uint8Array> = {}, options: Partial<ConnectOptions> = {}) {
  const server = await SessionServer.start(files);
  onCleanup(() => server.close());
  const client = await Client.connect({
    host: "127.0.0.1",
    port: server.port,
    user: "u",
    password: "p",
    ...FAST,
    ...options,
  });
  onCleanup(() => client.close());
  return { server, client };
}

const data = random(700_000);

describe("client <-> protocol ServerSession", () => {
  it.each(["passive", "active"] as const)("transfers both ways in %s mode, with resume", async (mode) => {
    const { server, client } = await setup({ "/d/f.bin": data }, { mode });
    const sink = collector();
    await client.download("/d/f.bin", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
    const tail = collector();
    await client.download("/d/f.bin", tail, { offset: 600_000 });
    expect(tail.data()).toEqual(data.subarray(600_000));
    await client.upload(data.subarray(0, 100_000), "/d/g.bin");
    await client.upload(data, "/d/g.bin", { offset: 100_000 });
    await client.upload(Buffer.from("!"), "/d/g.bin", { append: true });
    expect(sha256(server.store.read("/d/g.bin") ?? new Uint8Array())).toBe(
      sha256(Buffer.concat([data, Buffer.from("!")])),
    );
  });

  it("lists with MLSD and with LIST, and does the path operations", async () => {
    const { server, client } = await setup({ "/d/a b.txt": "ab", "/d/-x": "x" });
    const mlsd = await client.list("/d");
    expect(mlsd.map((e) => [e.name, e.type, e.size]).sort()).toEqual([
      ["-x", "file", 1],
      ["a b.txt", "file", 2],
    ]);
    const plain = await Client.connect({ host: "127.0.0.1", port: server.port, ...FAST, mlsd: false });
    onCleanup(() => plain.close());
    expect((await plain.list("/d")).map((e) => e.name).sort()).toEqual(["-x", "a b.txt"]);
    await client.mkdir("/n/o/p", { recursive: true });
    await client.rename("/d/a b.txt", "/n/o/p/moved.txt");
    expect(await client.size("/n/o/p/moved.txt")).toBe(2);
    const when = new Date(Date.UTC(2020, 1, 2, 3, 4, 5));
    await client.setLastModified("/n/o/p/moved.txt", when);
    expect(await client.lastModified("/n/o/p/moved.txt")).toEqual(when);
    await client.rmdir("/n", { recursive: true });
    expect(server.store.has("/n")).toBe(false);
    expect(await client.cd("/d")).toBe("/d");
    await client.remove("-x");
    expect(server.store.has("/d/-x")).toBe(false);
  });

  it("aborts a download and stays in step", async () => {
    const { client } = await setup({ "/big": random(8_000_000) });
    const controller = new AbortController();
    const reason = new Error("stop");
    const slow = new (await import("node:stream")).Writable({
      highWaterMark: 1024,
      write(_chunk, _e, callback) {
        setTimeout(callback, 10);
      },
    });
    await expect(
      client.download("/big", slow, { signal: controller.signal, onProgress: () => controller.abort(reason) }),
    ).rejects.toBe(reason);
    expect(await client.size("/big")).toBe(8_000_000);
  });
});
