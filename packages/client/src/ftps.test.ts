/**
 * FTPS (RFC 4217) against the fault server's TLS mode, which behaves like vsftpd with
 * `require_ssl_reuse=YES`: explicit and implicit, PROT P and C, TLS 1.2 and 1.3, passive and
 * active, every data connection resuming the control connection's session (the server refuses
 * one that does not with 522), certificate checks, refusals, STARTTLS injection, reconnects,
 * pools and diagnostics.
 */
import { constants } from "node:crypto";
import diagnosticsChannel from "node:diagnostics_channel";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { FaultServer, FaultServerOptions, FaultTlsOptions } from "./__tests__/fault-server.js";
import { collector, FAST, faultServer, onCleanup, random, sha256, tempDir } from "./__tests__/helpers.js";
import {
  CA_CERT,
  CLIENT_CERT,
  CLIENT_KEY,
  SELF_SIGNED_CERT,
  SELF_SIGNED_KEY,
  SERVER_CERT,
  SERVER_KEY,
} from "./__tests__/tls-fixtures.js";
import { Client } from "./client.js";
import { FtpError } from "./errors/ftp-error.js";
import { FtpTlsError } from "./errors/ftp-tls-error.js";
import { type ConnectOptions, resolveOptions } from "./options.js";
import { Pool } from "./pool.js";
import type { FtpCommandMessage, FtpTlsMessage } from "./transport/diagnostics.js";
import { TlsSessionStore } from "./transport/tls.js";

const MiB = 1024 * 1024;
const big = random(3 * MiB + 17);

async function tlsServer(
  tlsOptions: Partial<FaultTlsOptions> = {},
  options: Omit<FaultServerOptions, "tls"> = {},
): Promise<FaultServer> {
  return faultServer({
    files: { "/big.bin": big, "/small.txt": "hello over TLS\n", "/dir/a.txt": "a" },
    ...options,
    tls: { key: SERVER_KEY, cert: SERVER_CERT, ...tlsOptions },
  });
}

/** Client options for `server`, trusting the test CA. */
function secureOptions(server: FaultServer, options: Partial<ConnectOptions> = {}): ConnectOptions {
  return {
    host: server.host,
    port: server.port,
    user: "user",
    password: "secret",
    ...FAST,
    secure: server.options.tls?.implicit === true ? "implicit" : true,
    ...options,
    secureOptions: { ca: CA_CERT, ...options.secureOptions },
  };
}

async function connectTls(server: FaultServer, options: Partial<ConnectOptions> = {}): Promise<Client> {
  const client = await Client.connect(secureOptions(server, options));
  onCleanup(() => client.close());
  return client;
}

/** Records the ftp:client:tls and ftp:client:command messages while a test runs. */
function record(): { tls: FtpTlsMessage[]; commands: FtpCommandMessage[] } {
  const seen = { tls: [] as FtpTlsMessage[], commands: [] as FtpCommandMessage[] };
  const onTls = (m: unknown) => seen.tls.push(m as FtpTlsMessage);
  const onCommand = (m: unknown) => seen.commands.push(m as FtpCommandMessage);
  diagnosticsChannel.subscribe("ftp:client:tls", onTls);
  diagnosticsChannel.subscribe("ftp:client:command", onCommand);
  onCleanup(() => {
    diagnosticsChannel.unsubscribe("ftp:client:tls", onTls);
    diagnosticsChannel.unsubscribe("ftp:client:command", onCommand);
  });
  return seen;
}

/** A round trip: upload `big`, download it back, list, over one connection. */
async function roundTrip(client: Client, name = "up.bin"): Promise<void> {
  await client.upload(big, name);
  const back = collector();
  await client.download(name, back);
  expect(sha256(back.data())).toBe(sha256(big));
  const names = (await client.list()).map((e) => e.name);
  expect(names).toContain(name);
  expect(names).toContain("big.bin");
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("options", () => {
  it("ftps:// is implicit FTPS on port 990, ftpes:// explicit on 21", () => {
    expect(resolveOptions("ftps://u:p@host")).toMatchObject({
      secure: "implicit",
      port: 990,
      dataProtection: "private",
    });
    expect(resolveOptions("ftps://u:p@host:2990")).toMatchObject({ secure: "implicit", port: 2990 });
    expect(resolveOptions("ftpes://u:p@host")).toMatchObject({ secure: "explicit", port: 21 });
    expect(resolveOptions("ftp://u:p@host")).toMatchObject({ secure: false, port: 21, dataProtection: "clear" });
    expect(resolveOptions({ host: "h", secure: true })).toMatchObject({ secure: "explicit", port: 21 });
    expect(resolveOptions({ host: "h", secure: "implicit" }).port).toBe(990);
    expect(resolveOptions("ftps://h", { dataProtection: "clear" }).dataProtection).toBe("clear");
    expect(resolveOptions("ftpes://h", { secure: false }).secure).toBe(false);
  });

  it("refuses TLS options the client sets itself, and bad certificates at construction", () => {
    for (const key of ["socket", "host", "port", "session"]) {
      expect(() => new Client({ host: "h", secure: true, secureOptions: { [key]: undefined } as never })).toThrow(
        new RegExp(`secureOptions.${key}`),
      );
    }
    expect(() => new Client({ host: "h", secure: true, secureOptions: { cert: "nonsense", key: "nonsense" } })).toThrow(
      TypeError,
    );
    expect(() => new Client({ host: "h", dataProtection: "private" })).toThrow(/needs secure/);
  });
});

describe.each(["TLSv1.3", "TLSv1.2"] as const)("%s", (version) => {
  describe.each([false, true])("implicit: %s", (implicit) => {
    it.each(["passive", "active"] as const)("%s: login, list, upload and download with PROT P", async (mode) => {
      const server = await tlsServer({ implicit, maxVersion: version });
      const seen = record();
      const client = await connectTls(server, { mode });
      await roundTrip(client);
      expect(server.sent(mode === "passive" ? "EPSV" : "EPRT").length).toBeGreaterThan(0);
      // Every data connection was protected and resumed the control connection's session.
      expect(server.tlsData.length).toBe(3);
      expect(server.tlsData.every((d) => d.resumed && d.protocol === version && !d.refused)).toBe(true);
      const data = seen.tls.filter((m) => m.role === "data");
      expect(data.map((m) => [m.protocol, m.sessionOffered, m.sessionReused])).toEqual(
        Array(3).fill([version, true, true]),
      );
      expect(seen.tls.filter((m) => m.role === "control").map((m) => m.protocol)).toEqual([version]);
      const verbs = seen.commands.map((m) => m.command.split(" ")[0]);
      expect(verbs.slice(0, implicit ? 4 : 5)).toEqual(
        implicit ? ["USER", "PASS", "PBSZ", "PROT"] : ["AUTH", "USER", "PASS", "PBSZ", "PROT"],
      );
      expect(server.sent("PROT")).toEqual(["PROT P"]);
    });
  });

  it("PROT C: clear data connections on a protected control connection", async () => {
    const server = await tlsServer({ maxVersion: version });
    const client = await connectTls(server, { dataProtection: "clear" });
    await roundTrip(client);
    expect(server.sent("PROT")).toEqual(["PROT C"]);
    expect(server.tlsData).toEqual([]);
    expect(server.tlsControl).toBe(1);
  });

  it("implicit PROT C says so (an implicit server starts with PROT P)", async () => {
    const server = await tlsServer({ maxVersion: version, implicit: true });
    const client = await connectTls(server, { dataProtection: "clear", mode: "active" });
    await roundTrip(client);
    expect(server.sent("PROT")).toEqual(["PROT C"]);
    expect(server.tlsData).toEqual([]);
  });

  it("many transfers on one control connection all resume its session", async () => {
    const server = await tlsServer({ maxVersion: version });
    const client = await connectTls(server);
    const local = await tempDir();
    for (let i = 0; i < 8; i++) {
      const bytes = random(1000 + i * 7919);
      await client.upload(bytes, `f${i}.bin`);
      await client.download(`f${i}.bin`, path.join(local, `f${i}.bin`));
      expect(sha256(await readFile(path.join(local, `f${i}.bin`)))).toBe(sha256(bytes));
      if (i % 3 === 0) await client.list();
    }
    expect(server.tlsData.length).toBe(8 * 2 + 3);
    expect(server.tlsData.every((d) => d.resumed && !d.refused)).toBe(true);
    expect(server.connections).toBe(1);
  });
});

describe("session resumption", () => {
  it("TLS 1.3: the newest ticket is offered (the server accepts only that one)", async () => {
    const server = await tlsServer({ maxVersion: "TLSv1.3", newestTicketOnly: true });
    const client = await connectTls(server);
    for (let i = 0; i < 5; i++) await client.list();
    await roundTrip(client);
    expect(server.tlsData.length).toBe(8);
    expect(server.tlsData.every((d) => d.resumed && !d.refused)).toBe(true);
  });

  it("the newest-ticket check bites: a client offering its first ticket is refused", async () => {
    // Proves the test above means something: the same server refuses the older ticket.
    const server = await tlsServer({ maxVersion: "TLSv1.3", newestTicketOnly: true });
    const first = new WeakMap<TlsSessionStore, Buffer>();
    const track = TlsSessionStore.prototype.track;
    vi.spyOn(TlsSessionStore.prototype, "track").mockImplementation(function (this: TlsSessionStore, socket, role) {
      track.call(this, socket, role);
      socket.on("session", (session: Buffer) => {
        if (!first.has(this)) first.set(this, session);
      });
    });
    vi.spyOn(TlsSessionStore.prototype, "session", "get").mockImplementation(function (this: TlsSessionStore) {
      return first.get(this);
    });
    const client = await connectTls(server);
    const error = await client.list().catch((e: unknown) => e);
    // The session was resumed, so the client reports the server's reply as it is.
    expect(FtpError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 522, lines: ["SSL connection failed: not the newest session ticket"] });
    expect(server.tlsData).toEqual([{ resumed: true, protocol: "TLSv1.3", refused: true }]);
  });

  it.each(["TLSv1.3", "TLSv1.2"] as const)(
    "%s: no session to offer, and the server requires reuse: a typed error, the connection stays usable",
    async (version) => {
      const server = await tlsServer({ maxVersion: version });
      vi.spyOn(TlsSessionStore.prototype, "session", "get").mockReturnValue(undefined);
      const client = await connectTls(server);
      const download = await client.download("small.txt", collector()).catch((e: unknown) => e);
      expect(FtpTlsError.isInstance(download)).toBe(true);
      expect(download).toMatchObject({
        code: "FTP_ERR_TLS_SESSION_NOT_RESUMED",
        tlsCode: "522",
        command: "RETR small.txt",
        cause: expect.objectContaining({ code: 522 }),
      });
      expect((download as Error).message).toMatch(/no TLS session \(ticket\) had arrived/);
      const upload = await client.upload(Buffer.from("x"), "x.txt").catch((e: unknown) => e);
      expect(upload).toMatchObject({ code: "FTP_ERR_TLS_SESSION_NOT_RESUMED" });
      expect(server.tlsData.map((d) => [d.resumed, d.refused])).toEqual([
        [false, true],
        [false, true],
      ]);
      // Not retried (a new connection would be refused the same way), and still in step.
      expect(server.connections).toBe(1);
      expect(await client.pwd()).toBe("/");
    },
  );

  it("no session to offer, and the server does not require reuse: a full handshake works", async () => {
    const server = await tlsServer({ requireReuse: false });
    vi.spyOn(TlsSessionStore.prototype, "session", "get").mockReturnValue(undefined);
    const seen = record();
    const client = await connectTls(server);
    await roundTrip(client);
    expect(server.tlsData.every((d) => !d.resumed && !d.refused)).toBe(true);
    expect(seen.tls.filter((m) => m.role === "data").every((m) => !m.sessionOffered && !m.sessionReused)).toBe(true);
  });

  it("TLS 1.2 without tickets: the session id is resumed", async () => {
    const server = await tlsServer({ maxVersion: "TLSv1.2" });
    const client = await connectTls(server, { secureOptions: { secureOptions: constants.SSL_OP_NO_TICKET } });
    await roundTrip(client);
    expect(server.tlsData.length).toBe(3);
    expect(server.tlsData.every((d) => d.resumed && d.protocol === "TLSv1.2")).toBe(true);
  });

  it("a data connection whose handshake fails: a typed error with the server's answer, then the connection is reused", async () => {
    const server = await tlsServer(
      {},
      {
        script: {
          RETR: [
            async (ctx) => {
              // Accepts the connection, says 150, then resets it instead of a TLS handshake.
              const socket = await ctx.dataSocket();
              ctx.reply(150, "Opening data connection");
              socket?.resetAndDestroy();
              ctx.reply(522, "TLS handshake failed");
            },
          ],
        },
      },
    );
    const client = await connectTls(server);
    const error = await client.download("small.txt", collector()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "FTP_ERR_TLS_HANDSHAKE", connection: "data", command: "RETR small.txt" });
    expect((error as Error).message).toMatch(/the server answered: 522 TLS handshake failed/);
    const sink = collector();
    await client.download("small.txt", sink);
    expect(sink.data().toString()).toBe("hello over TLS\n");
    expect(server.connections).toBe(1);
  });
});

describe("certificates", () => {
  it("a self-signed certificate without `ca`: FTP_ERR_TLS_CERT naming the reason, and no login in the clear", async () => {
    const server = await tlsServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT });
    const error = await Client.connect({ ...secureOptions(server), secureOptions: {} }).catch((e: unknown) => e);
    expect(FtpTlsError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      name: "FtpTlsError",
      code: "FTP_ERR_TLS_CERT",
      errorCode: "FTP_ERR_TLS_CERT",
      tlsCode: "DEPTH_ZERO_SELF_SIGNED_CERT",
      connection: "control",
    });
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/DEPTH_ZERO_SELF_SIGNED_CERT/);
    expect(server.sent("USER")).toEqual([]);
    expect(server.sent("PASS")).toEqual([]);
  });

  it("a self-signed certificate given as `ca` is trusted", async () => {
    const server = await tlsServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT });
    const client = await connectTls(server, { secureOptions: { ca: SELF_SIGNED_CERT } });
    await roundTrip(client);
  });

  it("a CA-signed certificate without the CA: UNABLE_TO_VERIFY_LEAF_SIGNATURE (implicit too)", async () => {
    for (const implicit of [false, true]) {
      const server = await tlsServer({ implicit });
      const error = await Client.connect({ ...secureOptions(server), secureOptions: {} }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "FTP_ERR_TLS_CERT", tlsCode: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
      expect(server.sent("USER")).toEqual([]);
    }
  });

  it("a certificate for another name: ERR_TLS_CERT_ALTNAME_INVALID", async () => {
    const server = await tlsServer();
    const error = await Client.connect(
      secureOptions(server, { secureOptions: { servername: "ftp.example.com" } }),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "FTP_ERR_TLS_CERT", tlsCode: "ERR_TLS_CERT_ALTNAME_INVALID" });
    expect(server.sent("USER")).toEqual([]);
  });

  it("the host name is checked against the certificate (localhost is in its SAN)", async () => {
    const server = await tlsServer();
    const client = await connectTls(server, { host: "localhost" });
    await client.list();
    expect(server.tlsData.every((d) => d.resumed)).toBe(true);
  });

  it("rejectUnauthorized: false accepts any certificate (the caller's explicit choice)", async () => {
    const server = await tlsServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT });
    const client = await Client.connect({ ...secureOptions(server), secureOptions: { rejectUnauthorized: false } });
    onCleanup(() => client.close());
    await roundTrip(client);
  });

  it("a client certificate from secureOptions (cert/key) is presented", async () => {
    const server = await tlsServer({ clientCa: CA_CERT, maxVersion: "TLSv1.2" });
    const client = await connectTls(server, { secureOptions: { ca: CA_CERT, cert: CLIENT_CERT, key: CLIENT_KEY } });
    await roundTrip(client);
    // Without one, the server refuses the handshake.
    const error = await Client.connect(secureOptions(server)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "FtpTlsError", code: "FTP_ERR_TLS_HANDSHAKE" });
  });

  it("no common TLS version: FTP_ERR_TLS_HANDSHAKE with the OpenSSL reason", async () => {
    const server = await tlsServer({ minVersion: "TLSv1.3" });
    const error = await Client.connect(secureOptions(server, { secureOptions: { maxVersion: "TLSv1.2" } })).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "FTP_ERR_TLS_HANDSHAKE", connection: "control" });
    expect((error as FtpTlsError).tlsCode).toMatch(/^ERR_SSL_/);
  });
});

describe("no silent downgrade", () => {
  it.each([
    [534, "Request denied for policy reasons"],
    [502, "AUTH not implemented"],
    [500, "AUTH not understood"],
  ])("AUTH TLS answered %i: FTP_ERR_TLS_REFUSED, and USER/PASS are never sent", async (code, text) => {
    const server = await tlsServer({}, { script: { AUTH: (ctx) => ctx.reply(code, text) } });
    const error = await Client.connect(secureOptions(server)).catch((e: unknown) => e);
    expect(FtpTlsError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_TLS_REFUSED", tlsCode: String(code), command: "AUTH TLS" });
    expect(FtpError.isInstance((error as Error).cause)).toBe(true);
    expect(server.commands).toEqual(["AUTH TLS"]);
  });

  it("a plain FTP server (no AUTH at all) is refused the same way", async () => {
    const server = await faultServer({ files: { "/a": "a" } });
    const error = await Client.connect(secureOptions(server)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "FTP_ERR_TLS_REFUSED", tlsCode: "502" });
    expect(server.sent("USER")).toEqual([]);
  });

  it("PROT P refused: FTP_ERR_TLS_REFUSED, nothing transferred in the clear", async () => {
    const server = await tlsServer({}, { script: { PROT: (ctx) => ctx.reply(534, "PROT P not allowed") } });
    const error = await Client.connect(secureOptions(server)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "FTP_ERR_TLS_REFUSED", tlsCode: "534", command: "PROT P" });
    expect(server.sent("EPSV")).toEqual([]);
  });

  it("implicit FTPS: a refused PROT P is not fatal (PROT P is implicit FTPS's default), data stays protected", async () => {
    const server = await tlsServer(
      { implicit: true },
      { script: { PROT: (ctx) => ctx.reply(502, "PROT not needed on implicit FTPS") } },
    );
    const client = await connectTls(server);
    await roundTrip(client);
    expect(server.tlsData.length).toBe(3);
    expect(server.tlsData.every((d) => d.resumed)).toBe(true);
  });

  it("PROT C refused when clear data was asked for: FTP_ERR_TLS_REFUSED", async () => {
    const server = await tlsServer({}, { script: { PROT: (ctx) => ctx.reply(536, "PROT C not allowed") } });
    const error = await Client.connect(secureOptions(server, { dataProtection: "clear" })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "FTP_ERR_TLS_REFUSED", tlsCode: "536", command: "PROT C" });
  });

  it.each([
    ["a reply", "234 Go ahead\r\n230 Logged in (injected)\r\n"],
    ["a partial line", "234 Go ahead\r\n23"],
    ["a reply in the same line break", "234-Go\r\n234 ahead\r\n331 injected\r\n"],
  ])("clear-text bytes after the 234 (%s): FTP_ERR_TLS_INJECTION, the connection is dropped", async (_, bytes) => {
    const server = await tlsServer({}, { script: { AUTH: (ctx) => ctx.raw(bytes) } });
    const error = await Client.connect(secureOptions(server)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "FTP_ERR_TLS_INJECTION", connection: "control" });
    expect(server.sent("USER")).toEqual([]);
  });
});

describe("STARTTLS injection of a multi-line reply start", () => {
  it("an injected first line of a multi-line reply after the 234 is refused (FTP_ERR_TLS_INJECTION)", async () => {
    // `230-` ends with a line break, so it is no reply yet and no partial line on the socket;
    // the protocol core holds the unfinished reply and says so (ClientSession.hasBufferedInput).
    const server = await tlsServer(
      {},
      {
        script: {
          AUTH: async (ctx) => {
            ctx.raw("234 Go ahead\r\n230-injected\r\n");
            await ctx.upgrade?.();
          },
        },
      },
    );
    const error = await Client.connect(secureOptions(server, { replyTimeout: 500 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "FTP_ERR_TLS_INJECTION", connection: "control" });
    expect(server.sent("USER")).toEqual([]);
  });
});

describe("reconnect, pool, diagnostics", () => {
  it("a dropped connection is re-established with TLS, and the download resumes", async () => {
    const server = await tlsServer(
      {},
      {
        script: {
          RETR: [
            async (ctx) => {
              await ctx.sendData(big, { dropAfter: MiB, finalReply: null });
              ctx.destroyControl();
            },
          ],
        },
      },
    );
    const client = await connectTls(server);
    const local = await tempDir();
    const result = await client.download("big.bin", path.join(local, "big.bin"));
    expect(sha256(await readFile(path.join(local, "big.bin")))).toBe(sha256(big));
    expect(result.bytes).toBe(big.length);
    expect(server.connections).toBe(2);
    expect(server.tlsControl).toBe(2);
    expect(server.sent("AUTH")).toEqual(["AUTH TLS", "AUTH TLS"]);
    expect(server.sent("REST").length).toBeGreaterThan(0);
    expect(server.tlsData.every((d) => d.resumed && !d.refused)).toBe(true);
  });

  it("an upload from a file resumes over a new TLS connection", async () => {
    const server = await tlsServer(
      {},
      {
        script: {
          STOR: [
            async (ctx) => {
              const data = await ctx.receiveData();
              ctx.server.files.set("/up.bin", { data: (data ?? Buffer.alloc(0)).subarray(0, MiB), mtime: new Date() });
              ctx.destroyControl();
            },
          ],
        },
      },
    );
    const client = await connectTls(server);
    const local = await tempDir();
    await writeFile(path.join(local, "up.bin"), big);
    await client.upload(path.join(local, "up.bin"), "up.bin");
    expect(sha256(server.files.get("/up.bin")?.data ?? Buffer.alloc(0))).toBe(sha256(big));
    expect(server.tlsControl).toBe(2);
    expect(server.sent("APPE")).toEqual(["APPE up.bin"]);
  });

  it("a pool of TLS connections: each with its own session, parallel transfers resume theirs", async () => {
    const server = await tlsServer({ newestTicketOnly: true });
    const pool = new Pool({ ...secureOptions(server), size: 3 });
    onCleanup(() => pool.close());
    const files = Array.from({ length: 9 }, (_, i) => random(50_000 + i));
    await Promise.all(files.map((bytes, i) => pool.upload(bytes, `p${i}.bin`)));
    const back = await Promise.all(
      files.map(async (_, i) => {
        const sink = collector();
        await pool.download(`p${i}.bin`, sink);
        return sha256(sink.data());
      }),
    );
    expect(back).toEqual(files.map(sha256));
    expect(server.tlsControl).toBe(3);
    expect(server.tlsData.length).toBe(18);
    expect(server.tlsData.every((d) => d.resumed && !d.refused)).toBe(true);
  });

  it("ftp:client:command says when the control connection is secure; PASS stays masked", async () => {
    const server = await tlsServer();
    const seen = record();
    const client = await connectTls(server);
    await client.pwd();
    const commands = seen.commands.map((m) => [m.command, m.secure]);
    expect(commands.slice(0, 5)).toEqual([
      ["AUTH TLS", false],
      ["USER user", true],
      ["PASS ****", true],
      ["PBSZ 0", true],
      ["PROT P", true],
    ]);
    expect(seen.commands.every((m) => !m.command.includes("secret"))).toBe(true);
  });

  it.each(["passive", "active"] as const)(
    "%s: abort during a protected upload: the TLS data connection is reset, ABOR, the connection is reused",
    async (mode) => {
      const server = await tlsServer();
      const client = await connectTls(server, { mode });
      const controller = new AbortController();
      const reason = new Error("stop the upload");
      let sent = 0;
      const source = new Readable({
        read() {
          sent += 16_384;
          if (sent > 200_000) controller.abort(reason);
          setTimeout(() => this.push(Buffer.alloc(16_384, 1)), 5);
        },
      });
      await expect(client.upload(source, "u.bin", { signal: controller.signal })).rejects.toBe(reason);
      expect(server.sent("ABOR")).toEqual(["ABOR"]);
      expect(await client.pwd()).toBe("/");
      const sink = collector();
      await client.download("small.txt", sink);
      expect(sink.data().toString()).toBe("hello over TLS\n");
      expect(server.connections).toBe(1);
    },
  );

  it("a failing upload source: the TLS data connection is reset and the error surfaces", async () => {
    const server = await tlsServer();
    const client = await connectTls(server);
    const failure = new Error("disk on fire");
    let sent = 0;
    const source = new Readable({
      read() {
        sent += 1;
        if (sent === 5) this.destroy(failure);
        else setTimeout(() => this.push(Buffer.alloc(16_384, 2)), 2);
      },
    });
    await expect(client.upload(source, "fail.bin")).rejects.toBe(failure);
    expect(await client.pwd()).toBe("/");
    expect(server.connections).toBe(1);
  });

  it("abort during a protected download: ABOR, and the connection is reused", async () => {
    const server = await tlsServer(
      {},
      {
        script: { RETR: [(ctx) => ctx.sendData(big, { chunkSize: 16 * 1024, chunkDelay: 20 })] },
      },
    );
    const client = await connectTls(server);
    const controller = new AbortController();
    const sink = collector();
    const download = client.download("big.bin", sink, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytes > 64 * 1024) controller.abort(new Error("stop"));
      },
    });
    await expect(download).rejects.toThrow("stop");
    expect(server.sent("ABOR")).toEqual(["ABOR"]);
    const again = collector();
    await client.download("small.txt", again);
    expect(again.data().toString()).toBe("hello over TLS\n");
    expect(server.connections).toBe(1);
  });
});
