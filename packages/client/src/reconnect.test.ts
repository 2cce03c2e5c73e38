/**
 * Automatic reconnect and resume: transfers through a proxy that cuts the whole session
 * (control and data connections) after N bytes still complete with the right bytes.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
// biome-ignore lint/style/noRestrictedImports: a test may use the server (DESIGN.md "Testing, layer by layer" 3).
import { FtpServer, MemoryFileSystem } from "@ftpkit/server";
import { describe, expect, it } from "vitest";
import { CuttingProxy } from "./__tests__/cutting-proxy.js";
import { collector, FAST, onCleanup, random, sha256, tempDir } from "./__tests__/helpers.js";
import { Client } from "./client.js";
import type { ConnectOptions } from "./options.js";

const MiB = 1024 * 1024;
const data = random(5 * MiB + 321);

async function setup(
  cutAfter: number,
  cuts: number,
  files: Record<string, Uint8Array> = {},
  options: Partial<ConnectOptions> = {},
) {
  const fs = new MemoryFileSystem(files);
  const server = new FtpServer({
    host: "127.0.0.1",
    port: 0,
    authenticate: () => ({ fs }),
    limits: { failedLoginDelay: 0 },
  });
  const { port } = await server.listen();
  onCleanup(() => server.close());
  const proxy = await CuttingProxy.start({ targetPort: port, cutAfter, cuts });
  onCleanup(() => proxy.close());
  const client = await Client.connect({
    host: "127.0.0.1",
    port: proxy.port,
    user: "u",
    password: "p",
    ...FAST,
    ...options,
  });
  onCleanup(() => client.close());
  return { fs, proxy, client };
}

describe("reconnect and resume through a proxy that cuts the connection", () => {
  it("a download to a file completes with the right bytes after two cuts", async () => {
    const { proxy, client } = await setup(2 * MiB, 2, { "/f.bin": data });
    const local = await tempDir();
    const result = await client.download("f.bin", path.join(local, "f.bin"));
    expect(sha256(await readFile(path.join(local, "f.bin")))).toBe(sha256(data));
    expect(result.bytes).toBe(data.length);
    expect(proxy.cutsDone).toBe(2);
    expect(proxy.sessions).toBe(3);
  });

  it("a download into a stream resumes where the stream stopped", async () => {
    const { proxy, client } = await setup(MiB, 3, { "/f.bin": data });
    const sink = collector();
    await client.download("f.bin", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
    expect(proxy.cutsDone).toBe(3);
  });

  it("an upload from a local file completes with the right bytes", async () => {
    const { fs, proxy, client } = await setup(2 * MiB, 2);
    const local = await tempDir();
    await writeFile(path.join(local, "up.bin"), data);
    await client.upload(path.join(local, "up.bin"), "up.bin");
    expect(proxy.cutsDone).toBe(2);
    expect((await fs.stat("/up.bin")).size).toBe(data.length);
    const back = collector();
    await client.download("up.bin", back);
    expect(sha256(back.data())).toBe(sha256(data));
  });

  it("an upload from bytes completes with the right bytes", async () => {
    const { proxy, client } = await setup(MiB + 7, 1);
    await client.upload(data, "b.bin");
    expect(proxy.cutsDone).toBe(1);
    const back = collector();
    await client.download("b.bin", back);
    expect(sha256(back.data())).toBe(sha256(data));
  });

  it("downloadDir resumes file by file", async () => {
    const files = { "/t/a.bin": data.subarray(0, 3 * MiB), "/t/s/b.bin": data.subarray(MiB) };
    const { proxy, client } = await setup(2 * MiB, 2, files);
    const local = await tempDir();
    await mkdir(local, { recursive: true });
    const result = await client.downloadDir("/t", local);
    expect(result.files).toEqual(["a.bin", "s/b.bin"]);
    expect(sha256(await readFile(path.join(local, "a.bin")))).toBe(sha256(files["/t/a.bin"]));
    expect(sha256(await readFile(path.join(local, "s/b.bin")))).toBe(sha256(files["/t/s/b.bin"]));
    expect(proxy.cutsDone).toBe(2);
  });

  it("fails with the connection error when retries are off", async () => {
    const { client } = await setup(MiB, 10, { "/f.bin": data }, { retries: 0 });
    const error = await client.download("f.bin", collector()).catch((e) => e);
    expect(["FTP_ERR_CLOSED", "FTP_ERR_SOCKET", "FTP_ERR_DATA_CONNECTION", "FTP_ERR_PARTIAL_TRANSFER"]).toContain(
      (error as { code?: string }).code,
    );
  });
});
