import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningHaproxy, startHaproxy } from "./index.js";

// The helper itself, against a plain TCP backend that records the first bytes it gets.
const started: RunningHaproxy[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.stop()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function recorder(): Promise<{ port: number; first: Promise<Buffer> }> {
  return new Promise((resolve) => {
    let got!: (b: Buffer) => void;
    const first = new Promise<Buffer>((r) => {
      got = r;
    });
    const server = createServer((socket: Socket) => {
      socket.once("data", (chunk) => {
        got(chunk);
        socket.end();
      });
    });
    servers.push(server);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const a = server.address();
      resolve({ port: typeof a === "object" && a !== null ? a.port : 0, first });
    });
  });
}

function send(port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = connect({ host: "127.0.0.1", port }, () => c.write(text));
    c.on("error", reject);
    c.on("close", () => resolve());
    c.resume();
  });
}

describe("startHaproxy", () => {
  it("forwards with a v1 header, listens on the port it reports, and stops by PID", async () => {
    const backend = await recorder();
    const h = await startHaproxy({
      frontends: [
        {
          bind: { host: "127.0.0.1", port: 0 },
          backends: [{ host: "127.0.0.1", port: backend.port, sendProxy: "v1" }],
        },
      ],
    });
    started.push(h);
    expect(h.ports).toHaveLength(1);
    await send(h.ports[0] ?? 0, "hello\r\n");
    const text = (await backend.first).toString("latin1");
    expect(text).toMatch(/^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+\r\n/);
    await h.stop();
    expect(() => process.kill(h.pid, 0)).toThrow();
  });

  it("forwards with a v2 header", async () => {
    const backend = await recorder();
    const h = await startHaproxy({
      frontends: [
        {
          bind: { host: "127.0.0.1", port: 0 },
          backends: [{ host: "127.0.0.1", port: backend.port, sendProxy: "v2" }],
        },
      ],
    });
    started.push(h);
    await send(h.ports[0] ?? 0, "hello\r\n");
    const bytes = await backend.first;
    expect(bytes.subarray(0, 12).toString("latin1")).toBe("\r\n\r\n\0\r\nQUIT\n");
    expect(bytes[12]).toBe(0x21);
  });
});
