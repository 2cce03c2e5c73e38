import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { collector, connect, faultServer, random, sha256, tempDir } from "./__tests__/helpers.js";

describe("Client basics against the fault server", () => {
  it("logs in, reports pwd, changes directory", async () => {
    const server = await faultServer({ files: { "/pub/": "" } });
    const client = await connect(server);
    expect(await client.pwd()).toBe("/");
    expect(await client.cd("pub")).toBe("/pub");
    expect(await client.pwd()).toBe("/pub");
    expect(server.sent("USER")).toEqual(["USER user"]);
    expect(server.sent("OPTS")).toEqual(["OPTS UTF8 ON"]);
  });

  it("downloads to a file and to a writable, uploads from bytes", async () => {
    const data = random(300_000);
    const server = await faultServer({ files: { "/a.bin": data } });
    const client = await connect(server);
    const dir = await tempDir();
    await client.download("a.bin", path.join(dir, "a.bin"));
    expect(sha256(await readFile(path.join(dir, "a.bin")))).toBe(sha256(data));
    const sink = collector();
    await client.download("/a.bin", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
    await client.upload(data, "/b.bin");
    expect(sha256(server.files.get("/b.bin")?.data ?? Buffer.alloc(0))).toBe(sha256(data));
    await writeFile(path.join(dir, "c.bin"), data);
    await client.upload(path.join(dir, "c.bin"), "/c.bin");
    expect(server.files.get("/c.bin")?.data.length).toBe(data.length);
  });

  it("lists with MLSD", async () => {
    const server = await faultServer({ files: { "/d/x.txt": "hello", "/d/sub/": "" } });
    const client = await connect(server);
    const list = await client.list("/d");
    expect(list.map((e) => [e.name, e.type, e.size])).toEqual([
      ["sub", "directory", undefined],
      ["x.txt", "file", 5],
    ]);
  });
});
