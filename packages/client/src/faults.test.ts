/**
 * The client's error handling, path by path, against the fault-injecting server: the
 * connection and greeting, login, malformed and over-long replies, timeouts, 421 at any
 * time, a server that closes, injection attempts; and that the client is usable after each.
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { LocalProtocolError } from "@ftpkit/protocol";
import { describe, expect, it } from "vitest";
import { connect, FAST, faultServer, onCleanup } from "./__tests__/helpers.js";
import { Client } from "./client.js";
import { FtpConnectionError } from "./errors/ftp-connection-error.js";
import { FtpError } from "./errors/ftp-error.js";
import { FtpTimeoutError } from "./errors/ftp-timeout-error.js";

/** A port whose listener never accepts and whose backlog is full: TCP connects hang. */
async function blackholePort(): Promise<number> {
  const py = spawn("python3", [
    "-c",
    "import socket,time\ns=socket.socket();s.bind(('127.0.0.1',0));s.listen(0);print(s.getsockname()[1],flush=True);time.sleep(60)",
  ]);
  onCleanup(() => {
    py.kill();
  });
  const port = await new Promise<number>((resolve, reject) => {
    py.stdout.once("data", (d: Buffer) => resolve(Number(String(d).trim())));
    py.once("error", reject);
  });
  for (let i = 0; i < 3; i++) {
    const s = net.connect(port, "127.0.0.1").on("error", () => {});
    onCleanup(() => {
      s.destroy();
    });
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  return port;
}

describe("connecting", () => {
  it("reports a refused connection as FtpConnectionError FTP_ERR_CONNECT", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const error = await Client.connect({ host: "127.0.0.1", port, ...FAST }).catch((e: unknown) => e);
    expect(FtpConnectionError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_CONNECT", errorCode: "FTP_ERR_CONNECT" });
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it("gives up on a TCP connect after connectTimeout", async () => {
    const port = await blackholePort();
    // The kernel would wait minutes for this connect; the error says our 200 ms timer ended it.
    const error = await Client.connect({ host: "127.0.0.1", port, ...FAST, connectTimeout: 200 }).catch((e) => e);
    expect(FtpTimeoutError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_CONNECT_TIMEOUT", timeout: 200 });
  });

  it("gives up on a missing greeting after replyTimeout", async () => {
    const server = await faultServer({ greeting: () => {} });
    const error = await Client.connect({ host: server.host, port: server.port, ...FAST, replyTimeout: 150 }).catch(
      (e) => e,
    );
    expect(FtpTimeoutError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_REPLY_TIMEOUT", command: undefined });
    expect((error as Error).message).toMatch(/greeting/);
  });

  it("reports a 421 greeting as FtpError 421", async () => {
    const server = await faultServer({
      greeting: (ctx) => {
        ctx.reply(421, "Too many users");
        ctx.closeControl();
      },
    });
    const error = await Client.connect(server.url, FAST).catch((e) => e);
    expect(FtpError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 421, lines: ["Too many users"], command: undefined, transient: true });
  });

  it("waits through a 120 for the 220 (RFC 959 §5.4)", async () => {
    const server = await faultServer({
      greeting: async (ctx) => {
        ctx.reply(120, "Service ready in a moment");
        await ctx.delay(30);
        ctx.reply(220, "Ready");
      },
    });
    const client = await connect(server);
    expect(await client.pwd()).toBe("/");
  });

  it("accepts an ftp:// URL with percent-encoded credentials", async () => {
    const server = await faultServer({ users: { "us er": "p@ss:w" } });
    const client = await Client.connect(`ftp://us%20er:p%40ss%3Aw@127.0.0.1:${server.port}`, FAST);
    onCleanup(() => client.close());
    expect(server.sent("USER")).toEqual(["USER us er"]);
    expect(server.sent("PASS")).toEqual(["PASS p@ss:w"]);
  });

  it("refuses invalid options with a TypeError", () => {
    expect(() => new Client({ host: "", port: 21 })).toThrow(TypeError);
    expect(() => new Client({ host: "h", port: 70000 })).toThrow(TypeError);
    expect(() => new Client("http://host/")).toThrow(/scheme/);
    expect(() => new Client({ host: "h", secure: "yes" as never })).toThrow(TypeError);
    expect(() => new Client({ host: "h", dataProtection: "private" })).toThrow(/needs secure/);
    expect(() => new Client({ host: "h", secure: true, secureOptions: { socket: undefined } as never })).toThrow(
      /secureOptions.socket/,
    );
  });
});

describe("login", () => {
  it("reports a refused password as FtpError 530 with PASS masked", async () => {
    const server = await faultServer({ users: { user: "right" } });
    const error = await Client.connect({
      host: server.host,
      port: server.port,
      user: "user",
      password: "wrong",
      ...FAST,
    })
      .then(() => undefined)
      .catch((e) => e);
    expect(error).toMatchObject({ code: 530, command: "PASS ****" });
    expect((error as Error).message).not.toContain("wrong");
  });

  it("sends ACCT when the server asks for an account (332)", async () => {
    const server = await faultServer({
      script: { PASS: (ctx) => ctx.reply(332, "Need account"), ACCT: (ctx) => ctx.reply(230, "ok") },
    });
    await connect(server, { account: "acct-1" });
    expect(server.sent("ACCT")).toEqual(["ACCT acct-1"]);
  });

  it("fails cleanly on 332 without an account", async () => {
    const server = await faultServer({ script: { PASS: (ctx) => ctx.reply(332, "Need account") } });
    await expect(Client.connect(server.url, FAST)).rejects.toMatchObject({ code: 332 });
  });

  it("logs in with USER alone when the server says 230", async () => {
    const server = await faultServer({ script: { USER: (ctx) => ctx.reply(230, "no password needed") } });
    await connect(server);
    expect(server.sent("PASS")).toEqual([]);
  });

  it("works without FEAT and without UTF8 (no OPTS sent), and ignores a refused OPTS UTF8", async () => {
    const noFeat = await faultServer({ script: { FEAT: (ctx) => ctx.reply(502, "no FEAT") } });
    const a = await connect(noFeat);
    expect(await a.features()).toEqual(new Map());
    expect(noFeat.sent("OPTS")).toEqual([]);
    // pure-ftpd answers 504, pyftpdlib 501: both serve UTF-8 names anyway.
    for (const code of [504, 501]) {
      const refusing = await faultServer({ script: { OPTS: (ctx) => ctx.reply(code, "no") } });
      const b = await connect(refusing);
      expect((await b.features()).has("UTF8")).toBe(true);
      expect(await b.pwd()).toBe("/");
    }
  });
});

describe("replies", () => {
  it("reads a multi-line reply and a reply that arrives one byte at a time", async () => {
    const server = await faultServer({
      script: {
        PWD: async (ctx) => {
          for (const byte of Buffer.from('257-first\r\n 257 not the end\r\n257 "/slow dir" here\r\n')) {
            ctx.raw(Buffer.from([byte]));
            await ctx.delay(1);
          }
        },
      },
    });
    const client = await connect(server);
    expect(await client.pwd()).toBe("/slow dir");
  });

  it("drops the connection on a malformed reply, then works on a new one", async () => {
    const server = await faultServer({ script: { MKD: [(ctx) => ctx.raw("this is not FTP\r\n")] } });
    const client = await connect(server);
    const error = await client.mkdir("x").catch((e) => e);
    expect(FtpConnectionError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_BAD_REPLY" });
    expect((error as Error).cause).toBeDefined();
    await client.mkdir("x");
    expect(server.dirs.has("/x")).toBe(true);
    expect(server.connections).toBe(2);
  });

  it("drops the connection on an over-long reply line", async () => {
    const server = await faultServer({ script: { SIZE: [(ctx) => ctx.raw(`213 ${"9".repeat(20_000)}\r\n`)] } });
    const client = await connect(server, { maxReplyLineLength: 1024, retries: 0 });
    await expect(client.send("NOOP")).resolves.toMatchObject({ code: 200 });
    const error = await client.size("f").catch((e) => e);
    expect(error).toMatchObject({ code: "FTP_ERR_BAD_REPLY" });
  });

  it("retries an idempotent call (SIZE) on a new connection after a malformed reply", async () => {
    const server = await faultServer({ files: { "/f": "12345" }, script: { SIZE: [(ctx) => ctx.raw("garbage\r\n")] } });
    const client = await connect(server);
    expect(await client.size("f")).toBe(5);
    expect(server.connections).toBe(2);
  });

  it("reports a negative reply as FtpError with code, lines and command, and carries on", async () => {
    const server = await faultServer({
      script: { DELE: [(ctx) => ctx.reply(550, ["No such file", "really"])] },
      files: { "/f": "x" },
    });
    const client = await connect(server);
    const error = await client.remove("missing file").catch((e) => e);
    expect(FtpError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 550,
      lines: ["No such file", "really"],
      command: "DELE missing file",
      transient: false,
      errorCode: "FTP_ERR_REPLY",
    });
    await client.remove("/f");
    expect(server.files.has("/f")).toBe(false);
  });

  it("times out a command that is never answered, then reconnects for the next call", async () => {
    const server = await faultServer({ script: { MKD: [(ctx) => ctx.silence()] } });
    const client = await connect(server, { replyTimeout: 150 });
    const error = await client.mkdir("a").catch((e) => e);
    expect(FtpTimeoutError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_REPLY_TIMEOUT", command: "MKD a", timeout: 150 });
    await client.mkdir("b");
    expect(server.dirs.has("/b")).toBe(true);
    expect(server.connections).toBe(2);
  });

  it("reports a 421 in answer to a command, and reconnects for the next call", async () => {
    const server = await faultServer({
      script: {
        MKD: [
          (ctx) => {
            ctx.reply(421, "Timeout, closing");
            ctx.closeControl();
          },
        ],
      },
    });
    const client = await connect(server);
    await expect(client.mkdir("a")).rejects.toMatchObject({ code: 421, command: "MKD a" });
    await client.mkdir("a");
    expect(server.connections).toBe(2);
  });

  it("notices a 421 sent while idle and reconnects (back in the same directory)", async () => {
    let control: import("./__tests__/fault-server.js").FaultContext | undefined;
    const server = await faultServer({
      files: { "/d/": "" },
      script: {
        CWD: [
          (ctx) => {
            control = ctx;
            return ctx.defaultHandler();
          },
        ],
      },
    });
    const client = await connect(server);
    await client.cd("/d");
    control?.reply(421, "Idle timeout");
    control?.closeControl();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await client.pwd()).toBe("/d");
    expect(server.connections).toBe(2);
    expect(server.sent("CWD")).toEqual(["CWD /d", "CWD /d"]);
  });

  it("reports a server that closes the control connection mid-command", async () => {
    const server = await faultServer({ script: { RMD: [(ctx) => ctx.destroyControl()] } });
    const client = await connect(server);
    const error = await client.rmdir("x").catch((e) => e);
    expect(FtpConnectionError.isInstance(error)).toBe(true);
    expect(["FTP_ERR_CLOSED", "FTP_ERR_SOCKET"]).toContain((error as FtpConnectionError).code);
    expect((error as FtpConnectionError).command).toBe("RMD x");
  });

  it("ignores a stray reply no command asked for", async () => {
    let control: import("./__tests__/fault-server.js").FaultContext | undefined;
    const server = await faultServer({
      script: {
        NOOP: [
          (ctx) => {
            control = ctx;
            ctx.reply(200, "ok");
          },
        ],
      },
    });
    const client = await connect(server);
    await client.send("NOOP");
    control?.reply(200, "unsolicited");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await client.pwd()).toBe("/");
  });
});

describe("refusing command injection", () => {
  it("refuses CR, LF and NUL in paths before anything is sent", async () => {
    const server = await faultServer();
    const client = await connect(server);
    const before = server.commands.length;
    for (const bad of ["a\r\nDELE b", "a\nb", "a\0b", "a\rb"]) {
      await expect(client.remove(bad)).rejects.toBeInstanceOf(LocalProtocolError);
      await expect(client.download(bad, "/dev/null")).rejects.toBeInstanceOf(LocalProtocolError);
      await expect(client.upload(Buffer.from("x"), bad)).rejects.toBeInstanceOf(LocalProtocolError);
      await expect(client.list(bad)).rejects.toBeInstanceOf(LocalProtocolError);
      await expect(client.mkdir(bad, { recursive: true })).rejects.toBeInstanceOf(LocalProtocolError);
      await expect(client.rename("a", bad)).rejects.toBeInstanceOf(LocalProtocolError);
      await expect(client.send(`SITE ${bad}`)).rejects.toBeInstanceOf(LocalProtocolError);
    }
    expect(server.commands.slice(before).filter((c) => !c.startsWith("RNFR"))).toEqual([]);
    expect(await client.pwd()).toBe("/");
  });
});

describe("send", () => {
  it("returns the reply, throws FtpError on 4yz/5yz, refuses unknown and transfer verbs", async () => {
    const server = await faultServer({ files: { "/d/": "" }, script: { STAT: (ctx) => ctx.reply(550, "no stat") } });
    const client = await connect(server);
    expect(await client.send("SITE CHMOD 644 a.txt")).toEqual({ code: 200, lines: ["SITE CHMOD 644 a.txt ok"] });
    await expect(client.send("STAT x")).rejects.toMatchObject({ code: 550, command: "STAT x" });
    await expect(client.send("FOO bar")).rejects.toBeInstanceOf(LocalProtocolError);
    await expect(client.send("RETR x")).rejects.toMatchObject({ code: "FTP_ERR_TRANSFER_COMMAND" });
    // The client follows a raw CWD (its directory is what PWD says afterwards).
    await client.send("CWD d");
    expect(await client.pwd()).toBe("/d");
  });

  it("masks PASS in errors", async () => {
    const server = await faultServer({ script: { PASS: [undefined, (ctx) => ctx.reply(530, "nope")] } });
    const client = await connect(server);
    const error = await client.send("PASS hunter2").catch((e) => e);
    expect(error).toMatchObject({ code: 530, command: "PASS ****" });
    expect(String(error.message)).not.toContain("hunter2");
  });
});

describe("close", () => {
  it("waits for queued calls, sends QUIT, and refuses later calls", async () => {
    const server = await faultServer({
      script: {
        MKD: async (ctx) => {
          await ctx.delay(50);
          await ctx.defaultHandler();
        },
      },
    });
    const client = await connect(server);
    const made = client.mkdir("late");
    await client.close();
    await made;
    expect(server.dirs.has("/late")).toBe(true);
    expect(server.sent("QUIT")).toEqual(["QUIT"]);
    await expect(client.pwd()).rejects.toMatchObject({ code: "FTP_ERR_CLIENT_CLOSED" });
    await client.close();
  });
});
