import { type Reply, VERBS, type Verb } from "@ftpkit/protocol";
import { describe, expect, it } from "vitest";
import { startServer, type TestServer, text } from "./__tests__/harness.js";
import { type RawClient, sha256, TransferRefused } from "./__tests__/raw-client.js";
import { MemoryFileSystem } from "./fs/index.js";

/**
 * Loopback tests of every command of issue 3, success and error paths, over real sockets.
 * Every reply is checked against the RFC 959 §5.4 sequence tables by the raw client.
 */

const FILES = {
  "/readme.txt": "line one\nline two\n",
  "/pub/data.bin": new Uint8Array([0, 1, 2, 3, 255, 10, 13]),
  "/pub/.hidden": "secret",
  "/empty/": null,
  "/full/child.txt": "x",
};

async function loggedIn(user = "alice", files = FILES): Promise<{ t: TestServer; c: RawClient }> {
  const t = await startServer({ files, virtualHosts: ["ftp.example.com"] });
  return { t, c: await t.login(user) };
}

const codeOf = (r: Reply) => r.code;

describe("access control: USER PASS ACCT REIN QUIT HOST", () => {
  it("logs in, refuses a wrong password with 530 and PASS before USER with 503", async () => {
    const t = await startServer();
    const c = await t.connect();
    expect(c.greeting.code).toBe(220);
    expect(codeOf(await c.send("PASS", "x"))).toBe(503);
    expect(codeOf(await c.send("USER", "alice"))).toBe(331);
    expect(codeOf(await c.send("PASS", "wrong"))).toBe(530);
    expect(codeOf(await c.send("USER", "ghost"))).toBe(331);
    expect(codeOf(await c.send("PASS", "secret"))).toBe(530);
    await c.login("alice", "secret");
    expect(codeOf(await c.send("USER", "reader"))).toBe(530);
    expect(codeOf(await c.send("PASS", "secret"))).toBe(230);
  });

  it("closes with 421 after maxLoginAttempts failures", async () => {
    const t = await startServer({ limits: { maxLoginAttempts: 2 } });
    const c = await t.connect();
    await c.expect("USER", "alice", 331);
    await c.expect("PASS", "bad", 530);
    await c.expect("USER", "alice", 331);
    await c.expect("PASS", "bad", 530);
    expect((await c.nextReply()).code).toBe(421);
    await c.closed;
  });

  it("delays a failed login by failedLoginDelay", async () => {
    const t = await startServer({ limits: { failedLoginDelay: 300 } });
    const c = await t.connect();
    await c.expect("USER", "alice", 331);
    const t0 = performance.now();
    await c.expect("PASS", "bad", 530);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it("answers ACCT with 202, REIN with 220 (logged out), QUIT with 221 and closes", async () => {
    const { c } = await loggedIn();
    await c.expect("ACCT", "x", 202);
    await c.expect("REIN", undefined, 220);
    await c.expect("PWD", undefined, 530);
    await c.login("reader", "secret");
    await c.expect("STOR", "x", 550);
    await c.expect("QUIT", undefined, 221);
    await c.closed;
    expect(c.isClosed).toBe(true);
  });

  it("accepts HOST before USER (RFC 7151), 504 for an unknown host, 503 after USER", async () => {
    const t = await startServer({ virtualHosts: ["ftp.example.com"] });
    const c = await t.connect();
    await c.expect("HOST", "other.example.com", 504);
    await c.expect("HOST", "ftp.example.com", 220);
    await c.expect("USER", "alice", 331);
    await c.expect("HOST", "ftp.example.com", 503);
  });

  it("refuses every command that needs a login with 530", async () => {
    const t = await startServer({ files: FILES });
    const c = await t.connect();
    const args: Partial<Record<Verb, string>> = {
      CWD: "/",
      XCWD: "/",
      SMNT: "/",
      PORT: "127,0,0,1,4,1",
      TYPE: "I",
      STRU: "F",
      MODE: "S",
      RETR: "readme.txt",
      STOR: "x",
      APPE: "x",
      ALLO: "10",
      REST: "0",
      RNFR: "readme.txt",
      RNTO: "x",
      DELE: "readme.txt",
      RMD: "empty",
      XRMD: "empty",
      MKD: "d",
      XMKD: "d",
      SITE: "HELP",
      EPRT: "|1|127.0.0.1|1025|",
      MDTM: "readme.txt",
      SIZE: "readme.txt",
      MFMT: "20200101000000 readme.txt",
      HASH: "readme.txt",
    };
    const needLogin: Verb[] = [
      "CWD",
      "XCWD",
      "CDUP",
      "XCUP",
      "SMNT",
      "PORT",
      "PASV",
      "TYPE",
      "STRU",
      "MODE",
      "RETR",
      "STOR",
      "STOU",
      "APPE",
      "ALLO",
      "REST",
      "RNFR",
      "RNTO",
      "ABOR",
      "DELE",
      "RMD",
      "XRMD",
      "MKD",
      "XMKD",
      "PWD",
      "XPWD",
      "LIST",
      "NLST",
      "SITE",
      "EPRT",
      "EPSV",
      "MDTM",
      "SIZE",
      "MLST",
      "MLSD",
      "MFMT",
      "HASH",
      "CCC",
    ];
    for (const verb of needLogin) expect(codeOf(await c.send(verb, args[verb])), verb).toBe(530);
    expect(codeOf(await c.send("STAT", "/"))).toBe(530);
    expect(await t.fs.stat("/readme.txt")).toBeTruthy();
  });
});

describe("syntax errors: 500 unknown, 501 bad argument, 504 unsupported parameter", () => {
  it("answers each and keeps the session usable", async () => {
    const { c } = await loggedIn();
    c.writeRaw("HELO there\r\n", "NOOP");
    expect((await c.nextReply()).code).toBe(500);
    c.writeRaw("\r\n", "NOOP");
    expect((await c.nextReply()).code).toBe(500);
    await c.expect("TYPE", undefined, 501);
    await c.expect("TYPE", "E", 504);
    await c.expect("MODE", "B", 504);
    await c.expect("STRU", "R", 504);
    await c.expect("PORT", "1,2,3", 501);
    await c.expect("EPRT", "|1|1.2.3|5|", 501);
    await c.expect("REST", "abc", 501);
    await c.expect("MFMT", "yesterday readme.txt", 501);
    await c.expect("RETR", undefined, 501);
    await c.expect("NOOP", "extra", 501);
    await c.expect("NOOP", undefined, 200);
  });

  it("answers an over-long line with 500 (maxLineLength)", async () => {
    const t = await startServer({ limits: { maxLineLength: 600 } });
    const c = await t.login();
    c.writeRaw(`NOOP ${"x".repeat(2000)}\r\n`, "NOOP");
    expect((await c.nextReply()).code).toBe(500);
    await c.expect("NOOP", undefined, 200);
  });

  it("answers pipelined commands in order", async () => {
    const t = await startServer();
    const c = await t.connect();
    for (const [verb, arg] of [
      ["USER", "alice"],
      ["PASS", "secret"],
      ["PWD", undefined],
      ["NOOP", undefined],
      ["SYST", undefined],
    ] as const)
      c.write(verb, arg);
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await c.nextReply()).code);
    expect(codes).toEqual([331, 230, 257, 200, 215]);
  });
});

describe("navigation: CWD CDUP XCWD XCUP PWD XPWD SMNT", () => {
  it("changes directories and quotes PWD", async () => {
    const { c } = await loggedIn();
    expect((await c.expect("PWD", undefined, 257)).lines[0]).toMatch(/^"\/"/);
    await c.expect("CWD", "pub", 250);
    expect((await c.expect("XPWD", undefined, 257)).lines[0]).toMatch(/^"\/pub"/);
    await c.expect("CDUP", undefined, 250);
    await c.expect("XCWD", "/full", 250);
    await c.expect("XCUP", undefined, 250);
    expect((await c.send("PWD")).lines[0]).toMatch(/^"\/"/);
    await c.expect("CWD", "nowhere", 550);
    await c.expect("CWD", "readme.txt", 550);
    await c.expect("CWD", "../../..", 250);
    expect((await c.send("PWD")).lines[0]).toMatch(/^"\/"/);
    await c.expect("SMNT", "/pub", 502);
  });
});

describe("files: MKD XMKD RMD XRMD DELE RNFR RNTO SIZE MDTM MFMT MLST HASH SITE", () => {
  it("makes and removes directories", async () => {
    const { c, t } = await loggedIn();
    expect((await c.expect("MKD", "newdir", 257)).lines[0]).toMatch(/^"\/newdir"/);
    await c.expect("MKD", "newdir", 550);
    await c.expect("XMKD", "/newdir/sub", 257);
    await c.expect("MKD", "missing/sub", 550);
    await c.expect("RMD", "newdir", 550); // not empty
    await c.expect("XRMD", "newdir/sub", 250);
    await c.expect("RMD", "newdir", 250);
    await c.expect("RMD", "newdir", 550);
    await c.expect("RMD", "/", 550);
    await c.expect("RMD", "readme.txt", 550);
    await expect(t.fs.stat("/newdir")).rejects.toThrow();
  });

  it("deletes files", async () => {
    const { c, t } = await loggedIn();
    await c.expect("DELE", "readme.txt", 250);
    await c.expect("DELE", "readme.txt", 550);
    await c.expect("DELE", "empty", 550);
    await expect(t.fs.stat("/readme.txt")).rejects.toThrow();
  });

  it("renames with RNFR/RNTO; RNTO needs RNFR right before (503)", async () => {
    const { c, t } = await loggedIn();
    await c.expect("RNTO", "x", 503);
    await c.expect("RNFR", "missing", 550);
    await c.expect("RNFR", "readme.txt", 350);
    await c.expect("RNTO", "renamed.txt", 250);
    expect((await t.fs.stat("/renamed.txt")).size).toBe(18);
    await c.expect("RNFR", "renamed.txt", 350);
    await c.expect("NOOP", undefined, 200);
    await c.expect("RNTO", "again.txt", 503);
    await c.expect("RNFR", "full", 350);
    await c.expect("RNTO", "full/inside", 553);
    await c.expect("RNFR", "renamed.txt", 350);
    await c.expect("RNTO", "nodir/x.txt", 550);
  });

  it("answers SIZE only in TYPE I, MDTM in UTC, MFMT sets the time", async () => {
    const { c } = await loggedIn();
    await c.expect("SIZE", "readme.txt", 550); // TYPE A is the default (RFC 959 §3.1.1.1)
    await c.expect("TYPE", "I", 200);
    expect((await c.expect("SIZE", "readme.txt", 213)).lines[0]).toBe("18");
    expect((await c.expect("SIZE", "pub/data.bin", 213)).lines[0]).toBe("7");
    await c.expect("SIZE", "missing", 550);
    await c.expect("SIZE", "pub", 550);
    await c.expect("MFMT", "20200102030405 readme.txt", 213);
    expect((await c.expect("MDTM", "readme.txt", 213)).lines[0]).toBe("20200102030405");
    await c.expect("MDTM", "missing", 550);
    await c.expect("MFMT", "20200102030405 missing", 550);
  });

  it("answers MLST with the facts of one entry", async () => {
    const { c } = await loggedIn();
    const r = await c.expect("MLST", "readme.txt", 250);
    expect(r.lines.join("\n")).toMatch(/type=file;size=18;.* \/readme\.txt/);
    expect((await c.expect("MLST", undefined, 250)).lines.join("\n")).toMatch(/type=dir/);
    await c.expect("MLST", "missing", 550);
    await c.expect("OPTS", "MLST size;", 200);
    expect((await c.send("MLST", "readme.txt")).lines[1]).toBe(" size=18; /readme.txt");
  });

  it("hashes files with HASH and OPTS HASH (SHA-256, SHA-1, MD5, CRC32)", async () => {
    const { c } = await loggedIn();
    const content = "line one\nline two\n";
    const r = await c.expect("HASH", "readme.txt", 213);
    expect(r.lines[0]).toBe(`SHA-256 0-17 ${sha256(content)} readme.txt`);
    await c.expect("OPTS", "HASH MD5", 200);
    expect((await c.send("HASH", "readme.txt")).lines[0]).toMatch(/^MD5 0-17 [0-9a-f]{32} /);
    await c.expect("OPTS", "HASH SHA-1", 200);
    expect((await c.send("HASH", "readme.txt")).lines[0]).toMatch(/^SHA-1 0-17 [0-9a-f]{40} /);
    await c.expect("OPTS", "HASH CRC32", 200);
    expect((await c.send("HASH", "readme.txt")).lines[0]).toMatch(/^CRC32 0-17 [0-9a-f]{8} /);
    await c.expect("OPTS", "HASH WHIRLPOOL", 501);
    await c.expect("HASH", "missing", 550);
    await c.expect("HASH", "pub", 550);
  });

  it("hashes the read stream when the file system has no hash()", async () => {
    const fs = new MemoryFileSystem({ "/f": "abc" });
    const plain = Object.assign(Object.create(fs) as MemoryFileSystem, { hash: undefined });
    const t = await startServer({ fs: plain });
    const c = await t.login();
    expect((await c.expect("HASH", "f", 213)).lines[0]).toBe(`SHA-256 0-2 ${sha256("abc")} f`);
  });

  it("runs SITE HELP and SITE CHMOD; unknown SITE commands get 500", async () => {
    const { c } = await loggedIn();
    await c.expect("SITE", "HELP", 214);
    await c.expect("SITE", "CHMOD 600 readme.txt", 200);
    const line = await c.list("LIST", "readme.txt");
    expect(line).toMatch(/^-rw------- /);
    await c.expect("SITE", "CHMOD 600 missing", 550);
    await c.expect("SITE", "CHMOD bad", 501);
    await c.expect("SITE", "EXEC rm", 500);
  });

  it("answers SITE CHMOD with 502 when the file system has no chmod()", async () => {
    const fs = new MemoryFileSystem({ "/f": "abc" });
    const noChmod = Object.assign(Object.create(fs) as MemoryFileSystem, { chmod: undefined });
    const t = await startServer({ fs: noChmod });
    const c = await t.login();
    await c.expect("SITE", "CHMOD 600 f", 502);
  });
});

describe("information: FEAT OPTS SYST HELP NOOP STAT LANG ALLO", () => {
  it("lists features (RFC 2389) including REST STREAM, MLST, EPSV, UTF8, HASH", async () => {
    const t = await startServer();
    const c = await t.connect();
    const feat = (await c.expect("FEAT", undefined, 211)).lines.join("\n");
    for (const f of [
      "REST STREAM",
      "MLST type*;",
      "EPSV",
      "EPRT",
      "UTF8",
      "SIZE",
      "MDTM",
      "MFMT",
      "HASH SHA-256*",
      "TVFS",
    ]) {
      expect(feat).toContain(` ${f}`);
    }
    expect(feat).not.toContain("AUTH TLS");
    await c.expect("OPTS", "UTF8 ON", 200);
    await c.expect("OPTS", "UTF8 MAYBE", 501);
    await c.expect("OPTS", "NONSENSE", 501);
    expect((await c.expect("SYST", undefined, 215)).lines[0]).toBe("UNIX Type: L8");
    expect((await c.expect("HELP", undefined, 214)).lines.length).toBeGreaterThan(3);
    expect((await c.expect("HELP", "RETR", 214)).lines[0]).toContain("RETR");
    await c.expect("HELP", "BOGUS", 502);
    await c.expect("NOOP", undefined, 200);
    await c.expect("LANG", "EN", 200);
    await c.expect("LANG", "FR", 504);
    await c.expect("LANG", undefined, 200);
    await c.expect("STAT", undefined, 530); // vsftpd too: STAT needs a login
  });

  it("answers STAT with the session status and STAT <path> with a listing on the control connection", async () => {
    const { c } = await loggedIn();
    expect((await c.expect("STAT", undefined, 211)).lines.join("\n")).toContain("Logged in as alice");
    const listing = (await c.expect("STAT", "/pub", 213)).lines.join("\n");
    expect(listing).toContain("data.bin");
    expect((await c.expect("STAT", "/readme.txt", 213)).lines.join("\n")).toContain("readme.txt");
    await c.expect("STAT", "/missing", 550);
  });

  it("refuses a STAT listing over maxListEntries with 450 (451 is not a STAT reply)", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 20; i++) files[`/many/f${i}`] = "x";
    const t = await startServer({ files, limits: { maxListEntries: 10 } });
    const c = await t.login();
    await c.expect("STAT", "/many", 450);
  });

  it("answers ALLO with 202, TYPE/MODE/STRU per RFC 959 §4.1.2, ABOR without transfer with 225", async () => {
    const { c } = await loggedIn();
    await c.expect("ALLO", "1000", 202);
    for (const type of ["A", "A N", "I", "L 8"]) await c.expect("TYPE", type, 200);
    await c.expect("TYPE", "L 7", 504);
    await c.expect("TYPE", "A T", 504);
    await c.expect("MODE", "S", 200);
    await c.expect("STRU", "F", 200);
    await c.expect("ABOR", undefined, 225);
  });

  it("answers the security commands without TLS: AUTH 502, PBSZ/PROT 503, CCC 533", async () => {
    const { c } = await loggedIn();
    await c.expect("AUTH", "TLS", 502);
    await c.expect("PBSZ", "0", 503);
    await c.expect("PROT", "P", 503);
    await c.expect("CCC", undefined, 533);
  });
});

describe("transfers: RETR STOR STOU APPE LIST NLST MLSD", () => {
  it("retrieves in TYPE I byte for byte, answers 550 without a 150 for a missing file or a directory", async () => {
    const { c } = await loggedIn();
    await c.expect("TYPE", "I", 200);
    const r = await c.retr("pub/data.bin");
    expect(r.preliminary.code).toBe(150);
    expect(r.preliminary.lines[0]).toContain("(7 bytes)");
    expect([...r.data]).toEqual([0, 1, 2, 3, 255, 10, 13]);
    expect(r.final.code).toBe(226);
    await expect(c.retr("missing")).rejects.toSatisfy((e) => e instanceof TransferRefused && e.reply.code === 550);
    await expect(c.retr("pub")).rejects.toSatisfy((e) => e instanceof TransferRefused && e.reply.code === 550);
    await c.expect("NOOP", undefined, 200);
  });

  it("needs a data connection set up first (425)", async () => {
    const { c } = await loggedIn();
    await c.expect("RETR", "readme.txt", 425);
    await c.expect("STOR", "x", 425);
    await c.expect("LIST", undefined, 425);
  });

  it("stores, replaces and appends", async () => {
    const { c, t } = await loggedIn();
    await c.expect("TYPE", "I", 200);
    expect((await c.stor("new.bin", "first")).final.code).toBe(226);
    expect((await c.stor("new.bin", "second")).final.code).toBe(226);
    expect(text((await c.retr("new.bin")).data)).toBe("second");
    expect((await c.stor("new.bin", "+more", { verb: "APPE" })).final.code).toBe(226);
    expect(text((await c.retr("new.bin")).data)).toBe("second+more");
    expect((await c.stor("fresh.bin", "appe creates", { verb: "APPE" })).final.code).toBe(226);
    expect((await t.fs.stat("/fresh.bin")).size).toBe(12);
    await expect(c.stor("nodir/x.bin", "x")).rejects.toSatisfy(
      (e) => e instanceof TransferRefused && e.reply.code === 550,
    );
    await expect(c.stor("pub", "x")).rejects.toSatisfy((e) => e instanceof TransferRefused && e.reply.code === 550);
  });

  it("names the file STOU created in the 150 reply (RFC 1123 §4.1.2.9) and never overwrites", async () => {
    const { c, t } = await loggedIn();
    await c.expect("TYPE", "I", 200);
    const a = await c.stor("readme.txt", "unique a", { verb: "STOU" });
    expect(a.final.code).toBe(226);
    const nameA = /FILE: (.+)$/.exec(a.preliminary.lines[0] ?? "")?.[1];
    expect(nameA).toBe("readme.txt.1");
    const b = await c.stor(undefined, "unique b", { verb: "STOU" });
    const nameB = /FILE: (.+)$/.exec(b.preliminary.lines[0] ?? "")?.[1];
    expect(nameB).toBeTruthy();
    expect(text((await c.retr(nameB as string)).data)).toBe("unique b");
    expect(text((await c.retr("readme.txt")).data)).toBe("line one\nline two\n");
    expect((await t.fs.stat("/readme.txt.1")).size).toBe(8);
  });

  it("answers STOU with 502 on a file system without createUnique()", async () => {
    const fs = new MemoryFileSystem({});
    const plain = Object.assign(Object.create(fs) as MemoryFileSystem, { createUnique: undefined });
    const t = await startServer({ fs: plain });
    const c = await t.login();
    await c.expect("EPSV", undefined, 229);
    await c.expect("STOU", undefined, 502);
    await c.expect("NOOP", undefined, 200);
  });

  it("lists with LIST (ls -l), NLST (names) and MLSD (facts); dot files only with -a or MLSD", async () => {
    const { c } = await loggedIn();
    const list = await c.list("LIST", "/pub");
    expect(list).toMatch(/^-rw-r--r-- .* data\.bin\r\n$/);
    expect(list).not.toContain(".hidden");
    expect(await c.list("LIST", "-a /pub")).toContain(".hidden");
    expect(await c.list("NLST", "/pub")).toBe("data.bin\r\n");
    const mlsd = await c.list("MLSD", "/pub");
    expect(mlsd).toContain("type=file;size=7;");
    expect(mlsd).toContain(" .hidden\r\n");
    expect(await c.list("LIST", "/empty")).toBe("");
    expect(await c.list("LIST", "/readme.txt")).toMatch(/ readme\.txt\r\n$/);
    await expect(c.list("LIST", "/missing")).rejects.toSatisfy(
      (e) => e instanceof TransferRefused && e.reply.code === 550,
    );
    await expect(c.list("MLSD", "/readme.txt")).rejects.toSatisfy(
      (e) => e instanceof TransferRefused && e.reply.code === 501,
    );
    await c.expect("CWD", "pub", 250);
    expect(await c.list("NLST")).toBe("data.bin\r\n");
  });

  it("stops a listing over maxListEntries with 451 after the entries it sent", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`/many/f${String(i).padStart(2, "0")}`] = "x";
    const t = await startServer({ files, limits: { maxListEntries: 25 } });
    const c = await t.login();
    const r = await c.transfer("NLST", "/many", "epsv", async (s) => {
      const chunks: Buffer[] = [];
      for await (const chunk of s) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString();
    });
    expect(r.final.code).toBe(451);
    expect(r.value.split("\r\n").filter(Boolean)).toHaveLength(25);
  });

  it("streams a large directory listing in batches", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`/big/file-with-a-long-name-${String(i).padStart(5, "0")}.txt`] = "x";
    const t = await startServer({ files });
    const c = await t.login();
    const list = await c.list("LIST", "/big");
    expect(list.split("\r\n").filter(Boolean)).toHaveLength(3000);
    expect(list.length).toBeGreaterThan(64 * 1024);
  });
});

describe("permissions: a refused action gets 550 and nothing happens", () => {
  it("refuses every write action to a read-only account", async () => {
    const { c, t } = await loggedIn("reader");
    await c.expect("TYPE", "I", 200);
    expect(text((await c.retr("readme.txt")).data)).toBe("line one\nline two\n");
    expect(await c.list("NLST")).toContain("readme.txt");
    await c.expect("EPSV", undefined, 229);
    for (const [verb, arg] of [
      ["STOR", "x.txt"],
      ["APPE", "readme.txt"],
      ["STOU", undefined],
      ["DELE", "readme.txt"],
      ["RNFR", "readme.txt"],
      ["RNTO", "y.txt"],
      ["MKD", "d"],
      ["XMKD", "d"],
      ["RMD", "empty"],
      ["XRMD", "empty"],
      ["MFMT", "20200101000000 readme.txt"],
      ["SITE", "CHMOD 777 readme.txt"],
    ] as const) {
      expect(codeOf(await c.send(verb, arg)), verb).toBe(550);
    }
    const after = await t.fs.stat("/readme.txt");
    expect(after.size).toBe(18);
    expect(after.mode).toBe(0o644);
    await expect(t.fs.stat("/x.txt")).rejects.toThrow();
    await expect(t.fs.stat("/d")).rejects.toThrow();
    expect((await t.fs.stat("/empty")).type).toBe("directory");
  });

  it("refuses listing and reading to an account without those permissions", async () => {
    const { c } = await loggedIn("nobody");
    for (const [verb, arg] of [
      ["RETR", "readme.txt"],
      ["LIST", undefined],
      ["NLST", undefined],
      ["MLSD", undefined],
      ["MLST", "readme.txt"],
      ["STAT", "/"],
      ["SIZE", "readme.txt"],
      ["MDTM", "readme.txt"],
      ["HASH", "readme.txt"],
    ] as const) {
      expect(codeOf(await c.send(verb, arg)), verb).toBe(550);
    }
  });

  it("covers every verb of the protocol table in this file", () => {
    // A guard: a verb added to the protocol without a loopback test here fails this test.
    const covered = new Set<string>(
      "USER PASS ACCT CWD XCWD CDUP XCUP SMNT REIN QUIT PORT PASV TYPE STRU MODE RETR STOR STOU APPE ALLO REST RNFR RNTO ABOR DELE RMD XRMD MKD XMKD PWD XPWD LIST NLST SITE SYST STAT HELP NOOP AUTH PBSZ PROT CCC FEAT OPTS EPRT EPSV LANG MDTM SIZE MLST MLSD HOST MFMT HASH".split(
        " ",
      ),
    );
    expect(VERBS.filter((v) => !covered.has(v))).toEqual([]);
  });
});
