/**
 * Listings and single-path operations against the fault server: MLSD when FEAT offers MLST,
 * LIST otherwise (entering the directory so `ls` never sees odd names as options), raw lines
 * kept, `.`/`..` dropped, UTF-8 names; mkdir/rmdir recursive, rename, remove, size, times.
 */
import { describe, expect, it } from "vitest";
import { connect, faultServer } from "./__tests__/helpers.js";

const LIST_ONLY = ["SIZE", "MDTM", "UTF8"];

describe("list", () => {
  it("uses MLSD when FEAT offers MLST; keeps raw lines; drops cdir", async () => {
    const server = await faultServer({ files: { "/d/a.txt": "abc", "/d/sub/": "" } });
    const client = await connect(server);
    const entries = await client.list("/d");
    expect(server.sent("MLSD")).toEqual(["MLSD /d"]);
    expect(entries.map((e) => ({ name: e.name, type: e.type, size: e.size }))).toEqual([
      { name: "a.txt", type: "file", size: 3 },
      { name: "sub", type: "directory", size: undefined },
    ]);
    expect(entries[0]?.raw).toMatch(/^type=file;size=3;modify=\d{14}; a\.txt$/);
    expect(entries[0]?.modifiedAt).toBeInstanceOf(Date);
  });

  it("uses LIST -a inside the directory when there is no MLST, and comes back", async () => {
    const server = await faultServer({
      features: LIST_ONLY,
      files: { "/-rf dir/x y.txt": "12345", "/-rf dir/.hidden": "h" },
      script: {
        LIST: async (ctx) => {
          // An ls-style server shows . and .. with -a.
          const lines = [
            "drwxr-xr-x 2 ftp ftp 4096 Jan 31  2024 .",
            "drwxr-xr-x 9 ftp ftp 4096 Jan 31  2024 ..",
            "-rw-r--r-- 1 ftp ftp    1 Jan 31  2024 .hidden",
            "-rw-r--r-- 1 ftp ftp    5 Jan 31 14:15 x y.txt",
          ];
          expect(ctx.cwd).toBe("/-rf dir");
          await ctx.sendData(Buffer.from(`${lines.join("\r\n")}\r\n`));
        },
      },
    });
    const client = await connect(server);
    const entries = await client.list("-rf dir");
    expect(entries.map((e) => [e.name, e.type, e.size])).toEqual([
      [".hidden", "file", 1],
      ["x y.txt", "file", 5],
    ]);
    expect(entries[1]?.raw).toBe("-rw-r--r-- 1 ftp ftp    5 Jan 31 14:15 x y.txt");
    expect(server.sent("LIST")).toEqual(["LIST -a"]);
    expect(server.sent("CWD")).toEqual(["CWD -rf dir", "CWD /"]);
    expect(await client.pwd()).toBe("/");
  });

  it("uses LIST when told not to use MLSD", async () => {
    const server = await faultServer({ files: { "/f": "1" } });
    const client = await connect(server, { mlsd: false });
    expect((await client.list()).map((e) => e.name)).toEqual(["f"]);
    expect(server.sent("MLSD")).toEqual([]);
  });

  it("falls back to plain LIST when LIST -a is refused, and remembers it", async () => {
    const server = await faultServer({
      features: LIST_ONLY,
      files: { "/f": "1" },
      script: {
        LIST: (ctx) => (ctx.argument === "-a" ? ctx.reply(501, "no options") : ctx.defaultHandler()),
      },
    });
    const client = await connect(server);
    expect((await client.list()).map((e) => e.name)).toEqual(["f"]);
    expect((await client.list()).map((e) => e.name)).toEqual(["f"]);
    expect(server.sent("LIST")).toEqual(["LIST -a", "LIST", "LIST"]);
  });

  it("lists a file path with LIST when it is not a directory", async () => {
    const server = await faultServer({ features: LIST_ONLY, files: { "/f": "1" } });
    const client = await connect(server);
    await client.list("f").catch(() => {});
    expect(server.sent("LIST")).toEqual(["LIST f"]);
  });

  it("reports a refused listing", async () => {
    const server = await faultServer();
    const client = await connect(server);
    await expect(client.list("/nope")).rejects.toMatchObject({ code: 550, command: "MLSD /nope" });
  });

  it("reads UTF-8 names", async () => {
    const server = await faultServer({ files: { "/ünï cödé 文件.txt": "x" } });
    const client = await connect(server);
    expect((await client.list("/")).map((e) => e.name)).toEqual(["ünï cödé 文件.txt"]);
    expect(await client.size("ünï cödé 文件.txt")).toBe(1);
  });
});

describe("paths", () => {
  it("mkdir, recursive mkdir (existing parts are fine), rmdir, recursive rmdir", async () => {
    const server = await faultServer({ files: { "/a/": "" } });
    const client = await connect(server);
    await client.mkdir("b");
    await expect(client.mkdir("b")).rejects.toMatchObject({ code: 550 });
    await client.mkdir("a/x/y/z", { recursive: true });
    await client.mkdir("a/x/y/z", { recursive: true });
    expect([...server.dirs].sort()).toEqual(["/", "/a", "/a/x", "/a/x/y", "/a/x/y/z", "/b"]);
    await client.upload(Buffer.from("f"), "a/x/f");
    await client.upload(Buffer.from("g"), "a/x/y/z/g");
    await expect(client.rmdir("a")).rejects.toMatchObject({ code: 550 });
    await client.rmdir("a", { recursive: true });
    await client.rmdir("b");
    expect([...server.dirs]).toEqual(["/"]);
    expect(server.files.size).toBe(0);
    expect(await client.pwd()).toBe("/");
  });

  it("recursive rmdir works with LIST-only servers", async () => {
    const server = await faultServer({ features: LIST_ONLY, files: { "/t/a/b/c.txt": "c", "/t/d.txt": "d" } });
    const client = await connect(server);
    await client.rmdir("/t", { recursive: true });
    expect([...server.dirs]).toEqual(["/"]);
  });

  it("renames, removes, reports size and modification time, sets it with MFMT", async () => {
    const server = await faultServer({ files: { "/old name": "hello" } });
    const client = await connect(server);
    await client.rename("old name", "-new name");
    expect(server.files.has("/-new name")).toBe(true);
    expect(await client.size("-new name")).toBe(5);
    expect(await client.lastModified("-new name")).toEqual(new Date(Date.UTC(2024, 0, 31, 14, 15, 0)));
    const when = new Date(Date.UTC(2001, 1, 3, 4, 5, 6, 789));
    await client.setLastModified("-new name", when);
    expect(server.sent("MFMT")).toEqual(["MFMT 20010203040506 -new name"]);
    expect(await client.lastModified("-new name")).toEqual(new Date(Date.UTC(2001, 1, 3, 4, 5, 6)));
    await client.remove("-new name");
    expect(server.files.size).toBe(0);
    await expect(client.rename("nope", "x")).rejects.toMatchObject({ code: 550, command: "RNFR nope" });
    await expect(client.size("nope")).rejects.toMatchObject({ code: 550 });
  });

  it("sets the time with vsftpd's two-argument MDTM when there is no MFMT", async () => {
    const server = await faultServer({
      files: { "/f": "x" },
      script: { MFMT: (ctx) => ctx.reply(500, "Unknown command") },
    });
    const client = await connect(server);
    await client.setLastModified("f", new Date(Date.UTC(2010, 0, 1)));
    expect(server.sent("MDTM")).toEqual(["MDTM 20100101000000 f"]);
    expect(server.files.get("/f")?.mtime).toEqual(new Date(Date.UTC(2010, 0, 1)));
  });

  it("reports a refused MFMT as FtpError", async () => {
    const server = await faultServer();
    const client = await connect(server);
    await expect(client.setLastModified("missing", new Date())).rejects.toMatchObject({ code: 550 });
  });

  it("returns the server's features", async () => {
    const server = await faultServer({ features: ["MLST type*;size*;", "UTF8"] });
    const client = await connect(server);
    const features = await client.features();
    expect(features.get("MLST")).toBe("type*;size*;");
    expect(features.has("UTF8")).toBe(true);
  });
});
