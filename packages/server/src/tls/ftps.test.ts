import { constants, createHash, randomBytes, X509Certificate } from "node:crypto";
import diagnosticsChannel from "node:diagnostics_channel";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { afterAll, describe, expect, it } from "vitest";
import { startServer, type TestServer, text, track } from "../__tests__/harness.js";
import { RawClient, type RawTlsOptions, secureClient, TransferRefused } from "../__tests__/raw-client.js";
import { CHANNELS, type SessionMessage } from "../diagnostics.js";
import { FtpServerError } from "../errors/index.js";
import { MemoryFileSystem } from "../fs/index.js";
import type { FtpServerTlsOptions } from "../options.js";
import { FtpServer } from "../server.js";
import { generateSelfSignedCertificate } from "./self-signed.js";

const PEM = generateSelfSignedCertificate();
const TLS = { cert: PEM.cert, key: PEM.key };
const FILES = { "/f.txt": "some data\n" };
const VERSIONS = ["TLSv1.2", "TLSv1.3"] as const;
const BIG = randomBytes(1024 * 1024 + 123);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ftpkit-ftps-"));
  temps.push(dir);
  return dir;
}

/** A server with FTPS (PEM text unless given), and helpers to open explicit and implicit sessions. */
async function ftps(tls: FtpServerTlsOptions = {}, extra: Parameters<typeof startServer>[0] = {}) {
  const t = await startServer({ files: FILES, ...extra, tls: { ...TLS, implicitPort: 0, ...tls } });
  return {
    ...t,
    /** AUTH TLS, login, PBSZ 0, PROT P. */
    explicit: async (options: RawTlsOptions = {}, user = "alice") => {
      const c = await t.connect();
      await c.startTls(options);
      await c.login(user, "secret");
      await c.prot("P");
      await c.expect("TYPE", "I", 200);
      return c;
    },
    implicit: async (options: RawTlsOptions = {}, user = "alice") => {
      const c = await implicitConnect(t, options);
      await c.login(user, "secret");
      await c.expect("TYPE", "I", 200);
      return c;
    },
  };
}

async function implicitConnect(t: TestServer, options: RawTlsOptions = {}): Promise<RawClient> {
  const port = t.server.implicitAddress()?.port;
  if (port === undefined) throw new Error("no implicit listener");
  return track(await RawClient.connect(port, { implicit: options }));
}

/** Collects `ftp:server:session` messages while `fn` runs. */
async function sessionMessages<T>(fn: () => Promise<T>): Promise<{ value: T; messages: SessionMessage[] }> {
  const messages: SessionMessage[] = [];
  const onMessage = (m: unknown) => messages.push(m as SessionMessage);
  diagnosticsChannel.subscribe(CHANNELS.session, onMessage);
  try {
    return { value: await fn(), messages };
  } finally {
    diagnosticsChannel.unsubscribe(CHANNELS.session, onMessage);
  }
}

/** Waits until the client has recorded `n` protected data connections (recorded at their close). */
async function dataConnections(c: RawClient, n: number) {
  for (let i = 0; i < 200 && c.dataTls.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  return c.dataTls;
}

describe("explicit FTPS (RFC 4217 AUTH TLS)", () => {
  it("lists AUTH TLS, AUTH SSL, PBSZ and PROT in FEAT, before and after AUTH", async () => {
    const t = await ftps();
    const c = await t.connect();
    const before = (await c.expect("FEAT", undefined, 211)).lines;
    for (const f of [" AUTH TLS", " AUTH SSL", " PBSZ", " PROT"]) expect(before).toContain(f);
    await c.expect("PBSZ", "0", 503);
    await c.startTls();
    expect((await c.expect("FEAT", undefined, 211)).lines).toContain(" PROT");
    await c.expect("AUTH", "TLS", 503);
  });

  for (const maxVersion of VERSIONS) {
    it(`transfers with PROT P over ${maxVersion}: passive and active, download, upload, listing`, async () => {
      const t = await ftps();
      const c = await t.explicit({ maxVersion });
      expect((c.socket as TLSSocket).getProtocol()).toBe(maxVersion);
      for (const mode of ["epsv", "pasv", "port", "eprt"] as const) {
        const up = await c.stor(`big-${mode}.bin`, BIG, { mode });
        expect(up.final.code).toBe(226);
        const down = await c.retr(`big-${mode}.bin`, mode);
        expect(down.final.code).toBe(226);
        expect(sha(down.data)).toBe(sha(BIG));
      }
      expect(await c.list("NLST", undefined, "port")).toContain("big-eprt.bin\r\n");
      const seen = await dataConnections(c, 9);
      expect(seen).toHaveLength(9);
      expect(seen.every((d) => d.protocol === maxVersion && d.resumed)).toBe(true);
    });
  }

  it("transfers in clear with PROT C while the control connection stays TLS", async () => {
    const t = await ftps();
    const c = await t.connect();
    await c.startTls();
    await c.login("alice", "secret");
    await c.prot("C");
    expect(text((await c.retr("f.txt")).data)).toBe("some data\r\n");
    expect(c.dataTls).toEqual([]);
  });

  it("takes AUTH SSL as AUTH TLS with PROT P implied (old clients)", async () => {
    const t = await ftps({ require: "control+data" });
    const c = await t.connect();
    await c.startTls({}, "SSL");
    await c.login("alice", "secret");
    expect(text((await c.retr("f.txt")).data)).toBe("some data\r\n");
    expect((await dataConnections(c, 1))[0]?.resumed).toBe(true);
  });

  it("never takes clear-text commands sent behind AUTH TLS as commands of the TLS session", async () => {
    const t = await ftps();
    const c = await t.connect();
    // A man in the middle appends commands to the client's AUTH TLS (pure-ftpd CVE-2011-1575).
    c.writeRaw("AUTH TLS\r\nUSER alice\r\nPASS secret\r\nDELE f.txt\r\n", "AUTH");
    expect((await c.nextReply()).code).toBe(234);
    const raw = c.socket;
    raw.removeAllListeners("data");
    const secured = await secureClient(raw);
    const replies: string[] = [];
    secured.on("data", (d: Buffer) => replies.push(d.toString()));
    secured.write("NOOP\r\n");
    await new Promise((r) => setTimeout(r, 200));
    expect(replies.join("")).toMatch(/^200 /);
    secured.destroy();
    expect((await t.fs.stat("/f.txt")).size).toBe(10);
  });

  it("answers CCC with 534 unless tls.allowCcc (the default), and 530 before login", async () => {
    const t = await ftps();
    const c = await t.connect();
    await c.expect("CCC", undefined, 530);
    await c.startTls();
    await c.login("alice", "secret");
    await c.expect("CCC", undefined, 534);
    await c.expect("NOOP", undefined, 200);
  });

  it("refuses allowCcc together with a TLS requirement on the control connection (it could never be honoured)", () => {
    for (const require of ["control", "control+data"] as const) {
      expect(() => new FtpServer({ users: {}, tls: { ...TLS, allowCcc: true, require } })).toThrow(
        /allowCcc needs require/,
      );
    }
    expect(() => new FtpServer({ users: {}, tls: { ...TLS, allowCcc: true } })).not.toThrow();
  });

  it("closes a control connection whose TLS handshake fails, and one that never sends a ClientHello", async () => {
    const t = await ftps({}, { limits: { loginTimeout: 500 } });
    const messages: SessionMessage[] = [];
    const onMessage = (m: unknown) => messages.push(m as SessionMessage);
    diagnosticsChannel.subscribe(CHANNELS.session, onMessage);
    try {
      const c = await t.connect();
      await c.expect("AUTH", "TLS", 234);
      c.writeRaw("this is not a TLS ClientHello\r\n");
      await c.closed;
      // Silent after the 234: the login timeout closes it under the handshake.
      const idle = await t.connect();
      await idle.expect("AUTH", "TLS", 234);
      await idle.closed;
      await expect.poll(() => t.server.connectionCount).toBe(0);
      await expect.poll(() => messages.filter((m) => m.type === "close").length).toBe(2);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.session, onMessage);
    }
    const failures = messages.filter((m) => m.type === "tls-failed");
    expect(failures[0]).toEqual({ type: "tls-failed", connectionId: 1, channel: "control", reason: "failed" });
    // Whichever fires first: the session's login timeout (cuts the handshake) or the handshake's own.
    expect(failures[1]).toMatchObject({ type: "tls-failed", connectionId: 2, channel: "control" });
    expect(["closed", "timeout"]).toContain((failures[1] as { reason: string }).reason);
    expect(failures).toHaveLength(2);
  });
});

describe("implicit FTPS (TLS before the 220)", () => {
  for (const maxVersion of VERSIONS) {
    it(`greets over ${maxVersion} and takes PBSZ 0 and PROT P as given`, async () => {
      const t = await ftps({ require: "control+data" });
      const c = await t.implicit({ maxVersion });
      expect(c.greeting.code).toBe(220);
      expect((c.socket as TLSSocket).getProtocol()).toBe(maxVersion);
      await c.expect("AUTH", "TLS", 503);
      const up = await c.stor("up.bin", BIG, { mode: "pasv" });
      expect(up.final.code).toBe(226);
      expect(sha((await c.retr("up.bin", "eprt")).data)).toBe(sha(BIG));
      const seen = await dataConnections(c, 2);
      expect(seen.map((d) => d.resumed)).toEqual([true, true]);
    });
  }

  it("listens on its own port next to the explicit one; a clear client there gets no greeting", async () => {
    const t = await ftps();
    const port = t.server.implicitAddress()?.port as number;
    expect(port).not.toBe(t.port);
    const socket = connect({ host: "127.0.0.1", port });
    await once(socket, "connect");
    const got: Buffer[] = [];
    socket.on("data", (d: Buffer) => got.push(d));
    socket.write("USER alice\r\n");
    await once(socket, "close");
    expect(Buffer.concat(got).toString("latin1")).not.toMatch(/^220/);
  });

  it("refuses an implicit connection over the connection limit with 421 (after the handshake)", async () => {
    const t = await ftps({}, { limits: { maxConnections: 1 } });
    await t.implicit();
    const second = await implicitConnect(t);
    expect(second.greeting.code).toBe(421);
  });

  it("close() cuts implicit handshakes in progress and leaves nothing behind", async () => {
    const t = await ftps();
    const port = t.server.implicitAddress()?.port as number;
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("error", () => {});
    await once(socket, "connect");
    await new Promise((r) => setTimeout(r, 50));
    const closing = t.server.close({ deadline: 100 });
    await once(socket, "close");
    await closing;
    expect(t.server.implicitAddress()).toBeUndefined();
  });
});

describe("data connections: TLS session reuse", () => {
  for (const maxVersion of VERSIONS) {
    it(`resumes on every data connection of a long session, ${maxVersion} tickets renewed`, async () => {
      const t = await ftps({ require: "control+data" });
      const c = await t.explicit({ maxVersion });
      const n = 25;
      for (let i = 0; i < n; i++) {
        const r = await c.retr("f.txt", i % 2 === 0 ? "epsv" : "port");
        expect(r.final.code).toBe(226);
      }
      const seen = await dataConnections(c, n);
      expect(seen.every((d) => d.resumed)).toBe(true);
      // TLS 1.3: the server sends a new ticket on every resumed data connection, as OpenSSL
      // (vsftpd) does, so a client that uses each ticket once (curl) can go on.
      if (maxVersion === "TLSv1.3") expect(seen.every((d) => d.newSessions >= 1)).toBe(true);
    });
  }

  it("issues no ticket on an upload's data connection (TLS 1.3: curl and lftp may lose data over one), and one on a download's", async () => {
    for (const reuse of [true, false]) {
      const t = await ftps({ require: "control+data", requireSessionReuse: reuse });
      const c = await t.explicit({ maxVersion: "TLSv1.3", ...(reuse ? {} : { dataSession: "none" as const }) });
      expect((await c.stor("u.bin", BIG)).final.code).toBe(226);
      expect((await c.stor("u.bin", "more", { verb: "APPE" })).final.code).toBe(226);
      expect((await c.retr("f.txt")).final.code).toBe(226);
      const seen = await dataConnections(c, 3);
      expect(seen.map((d) => d.resumed)).toEqual([reuse, reuse, reuse]);
      // Resumed: a download gets the one renewed ticket; a full handshake gets OpenSSL's two.
      expect(seen.map((d) => d.newSessions)).toEqual([0, 0, reuse ? 1 : 2]);
    }
  });

  it("resumes the control connection's first TLS 1.3 ticket again and again (a client that keeps it)", async () => {
    const t = await ftps({ require: "control+data" });
    const c = await t.explicit({ maxVersion: "TLSv1.3" });
    const first = c.latestSession as Buffer;
    c.tls = { ...c.tls, dataSession: first };
    for (let i = 0; i < 3; i++) expect((await c.retr("f.txt")).final.code).toBe(226);
    expect((await dataConnections(c, 3)).every((d) => d.resumed)).toBe(true);
  });

  it("resumes TLS 1.2 session IDs when the client does not use tickets", async () => {
    const t = await ftps({ require: "control+data" });
    const c = await t.explicit({ maxVersion: "TLSv1.2", secureOptions: constants.SSL_OP_NO_TICKET });
    for (let i = 0; i < 3; i++) expect((await c.retr("f.txt")).final.code).toBe(226);
    expect((await dataConnections(c, 3)).map((d) => d.resumed)).toEqual([true, true, true]);
  });

  for (const maxVersion of VERSIONS) {
    it(`refuses a ${maxVersion} data connection that does not resume: 522 after the 150, and goes on`, async () => {
      const t = await ftps({ require: "control+data" });
      const { value: c, messages } = await sessionMessages(async () => {
        const c = await t.explicit({ maxVersion, dataSession: "none" });
        const r = await c.retr("f.txt");
        expect(r.preliminary.code).toBe(150);
        expect(r.final.code).toBe(522);
        expect(r.final.lines[0]).toMatch(/session reuse required/);
        expect(r.data.length).toBe(0);
        const up = await c.stor("new.bin", "secret bytes");
        expect(up.final.code).toBe(522);
        expect((await c.stor("f.txt", "overwritten")).final.code).toBe(522);
        expect((await c.stor("f.txt", "appended", { verb: "APPE" })).final.code).toBe(522);
        return c;
      });
      expect(messages).toContainEqual(expect.objectContaining({ type: "tls", channel: "data", resumed: false }));
      // A refused upload never touched the file system (nor an existing file).
      await expect(t.fs.stat("/new.bin")).rejects.toThrow();
      // The session goes on; the same client resuming is served.
      c.tls = { ...c.tls, dataSession: "latest" };
      expect(text((await c.retr("f.txt")).data)).toBe("some data\n");
      // A storage error on a protected STOR comes after the 150 (the handshake came first).
      const denied = await c.stor("no/such/dir/x.bin", "x");
      expect([denied.preliminary.code, denied.final.code]).toEqual([150, 550]);
    });
  }

  it("refuses a data connection resuming a session of ANOTHER control connection (per-connection context)", async () => {
    const t = await ftps({ require: "control+data" });
    const variants: RawTlsOptions[] = [
      { maxVersion: "TLSv1.2" },
      { maxVersion: "TLSv1.3" },
      { maxVersion: "TLSv1.2", secureOptions: constants.SSL_OP_NO_TICKET }, // session IDs
    ];
    for (const options of variants) {
      const victim = await t.explicit(options);
      expect((await victim.retr("f.txt")).final.code).toBe(226);
      expect((await dataConnections(victim, 1))[0]?.resumed).toBe(true);
      const thief = await t.explicit({ ...options, dataSession: victim.latestSession as Buffer });
      const r = await thief.retr("f.txt");
      expect(r.final.code).toBe(522);
      expect((await dataConnections(thief, 1))[0]?.resumed).toBe(false);
    }
  });

  it("accepts a data connection that does not resume when requireSessionReuse is false", async () => {
    const t = await ftps({ require: "control+data", requireSessionReuse: false });
    for (const maxVersion of VERSIONS) {
      const c = await t.explicit({ maxVersion, dataSession: "none" });
      expect(text((await c.retr("f.txt")).data)).toBe("some data\n");
      expect((await c.stor("x.bin", BIG)).final.code).toBe(226);
      expect((await dataConnections(c, 2)).map((d) => d.resumed)).toEqual([false, false]);
    }
  });

  it("does not require reuse by default when TLS is optional, and does when it is required", async () => {
    const optional = await ftps();
    const a = await optional.explicit({ dataSession: "none" });
    expect((await a.retr("f.txt")).final.code).toBe(226);
    const control = await ftps({ require: "control" });
    const b = await control.explicit({ dataSession: "none" });
    expect((await b.retr("f.txt")).final.code).toBe(522);
  });

  it("answers 522 when the data connection's TLS negotiation fails", async () => {
    const t = await ftps();
    const { messages } = await sessionMessages(async () => {
      const c = await t.explicit();
      const hp = await c.epsv();
      const socket = await RawClient.connectData(hp);
      socket.on("error", () => {});
      expect((await c.send("RETR", "f.txt")).code).toBe(150);
      socket.write("GET / HTTP/1.0\r\n\r\n");
      const final = await c.nextReply();
      expect(final.code).toBe(522);
      expect(final.lines[0]).toMatch(/TLS negotiation failed/);
      await c.expect("NOOP", undefined, 200);
    });
    expect(messages).toContainEqual(expect.objectContaining({ type: "tls-failed", channel: "data", reason: "failed" }));
  });

  it("aborts a protected download with ABOR (426, 226)", async () => {
    const fs = new MemoryFileSystem({ "/huge.bin": randomBytes(8 * 1024 * 1024) });
    const t = await ftps({}, { fs });
    const c = await t.explicit();
    const hp = await c.epsv();
    const raw = await RawClient.connectData(hp);
    expect((await c.send("RETR", "huge.bin")).code).toBe(150);
    const data = await tlsConnectWith(raw, c.latestSession);
    await once(data, "data");
    data.pause();
    c.write("ABOR");
    expect((await c.nextReply()).code).toBe(426);
    expect((await c.nextReply()).code).toBe(226);
    data.destroy();
    await c.expect("NOOP", undefined, 200);
  });
});

function tlsConnectWith(socket: import("node:net").Socket, session: Buffer | undefined): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ socket, rejectUnauthorized: false, ...(session ? { session } : {}) }, () => resolve(s));
    s.once("error", reject);
  });
}

describe("policy (vsftpd force_local_logins_ssl / force_local_data_ssl)", () => {
  it("answers USER and PASS in the clear with 530 when TLS is required for the control connection", async () => {
    const t = await ftps({ require: "control" });
    const c = await t.connect();
    await c.expect("FEAT", undefined, 211);
    await c.expect("USER", "alice", 530);
    await c.expect("PASS", "secret", 530);
    await c.startTls();
    await c.login("alice", "secret");
    // Data protection is not required: PROT C (the default) transfers.
    expect(text((await c.retr("f.txt")).data)).toBe("some data\r\n");
  });

  it("answers a transfer under PROT C with 521 when data protection is required", async () => {
    const t = await ftps({ require: "control+data" });
    const c = await t.connect();
    await c.startTls();
    await c.login("alice", "secret");
    await expect(c.retr("f.txt")).rejects.toSatisfy((e) => e instanceof TransferRefused && e.reply.code === 521);
    await c.expect("PBSZ", "0", 200);
    await c.expect("PROT", "C", 534);
    await c.expect("PROT", "P", 200);
    c.protectData = true;
    expect(text((await c.retr("f.txt")).data)).toBe("some data\r\n");
  });

  it("lets an account require TLS on a server that does not (Account.tls = 'required')", async () => {
    const t = await ftps({}, { account: { tls: "required" } });
    const clear = await t.connect();
    await clear.expect("USER", "alice", 331);
    // The right password, but a clear control connection: 530, at once, and no session.
    const started = performance.now();
    await clear.expect("PASS", "secret", 530);
    expect(performance.now() - started).toBeLessThan(500);
    await clear.expect("PWD", undefined, 530);
    await clear.startTls();
    await clear.login("alice", "secret");
    await expect(clear.retr("f.txt")).rejects.toSatisfy((e) => e instanceof TransferRefused && e.reply.code === 521);
    await clear.prot("P");
    expect(text((await clear.retr("f.txt")).data)).toBe("some data\r\n");
  });

  it("lets an account use PROT C on a server that requires protected data (Account.tls = 'optional')", async () => {
    const t = await ftps({ require: "control+data" }, { account: { tls: "optional" } });
    const c = await t.connect();
    await c.expect("USER", "alice", 530); // the account is not known before PASS
    await c.startTls();
    await c.login("alice", "secret");
    await c.expect("PBSZ", "0", 200);
    await c.expect("PROT", "C", 200);
    expect(text((await c.retr("f.txt")).data)).toBe("some data\r\n");
  });

  it("releases an account refused for its TLS policy (maxSessions is not used up)", async () => {
    const t = await ftps({}, { account: { tls: "required", maxSessions: 1 } });
    for (let i = 0; i < 3; i++) {
      const c = await t.connect();
      await c.expect("USER", "alice", 331);
      await c.expect("PASS", "secret", 530);
    }
    const ok = await t.connect();
    await ok.startTls();
    await ok.login("alice", "secret");
  });
});

describe("certificates", () => {
  async function files(material: { cert: string; key: string }) {
    const dir = await tempDir();
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    await writeFile(cert, material.cert);
    await writeFile(key, material.key);
    return { dir, cert, key };
  }

  const fingerprint = (s: TLSSocket) => (s.getPeerX509Certificate() as X509Certificate).fingerprint256;

  it("reads PEM files; reloadCertificate() gives new sessions the new certificate, running ones keep theirs", async () => {
    const first = await files(PEM);
    const t = await ftps({ cert: first.cert, key: first.key });
    expect(t.server.certificate?.fingerprint256).toBe(PEM.fingerprint256);
    const old = await t.explicit();
    expect(fingerprint(old.socket as TLSSocket)).toBe(PEM.fingerprint256);
    const next = generateSelfSignedCertificate();
    await writeFile(first.cert, next.cert);
    await writeFile(first.key, next.key);
    const emitted: string[] = [];
    t.server.on("certificate", (info) => emitted.push(info.fingerprint256));
    expect((await t.server.reloadCertificate()).fingerprint256).toBe(next.fingerprint256);
    expect(emitted).toEqual([next.fingerprint256]);
    const fresh = await t.explicit();
    expect(fingerprint(fresh.socket as TLSSocket)).toBe(next.fingerprint256);
    const implicit = await t.implicit();
    expect(fingerprint(implicit.socket as TLSSocket)).toBe(next.fingerprint256);
    // The old session still transfers, resuming its own (old-certificate) TLS session.
    expect((await old.retr("f.txt")).final.code).toBe(226);
    expect((await dataConnections(old, 1))[0]?.resumed).toBe(true);
  });

  it("keeps the current certificate when a reload fails", async () => {
    const first = await files(PEM);
    const t = await ftps({ cert: first.cert, key: first.key });
    await writeFile(first.key, generateSelfSignedCertificate().key);
    await expect(t.server.reloadCertificate()).rejects.toSatisfy(
      (e) => FtpServerError.isInstance(e) && e.code === "FTP_ERR_TLS_CERT" && /does not belong/.test(e.message),
    );
    expect(t.server.certificate?.fingerprint256).toBe(PEM.fingerprint256);
    const c = await t.explicit();
    expect(fingerprint(c.socket as TLSSocket)).toBe(PEM.fingerprint256);
  });

  it("reloads by itself when the files change (tls.watch)", async () => {
    const first = await files(PEM);
    const t = await ftps({ cert: first.cert, key: first.key, watch: 100 });
    const next = generateSelfSignedCertificate();
    const reloaded = once(t.server, "certificate");
    await writeFile(first.key, next.key);
    await writeFile(first.cert, next.cert);
    const [info] = (await reloaded) as [{ fingerprint256: string }];
    expect(info.fingerprint256).toBe(next.fingerprint256);
    const c = await t.explicit();
    expect(fingerprint(c.socket as TLSSocket)).toBe(next.fingerprint256);
  });

  it("fails listen() with a clear FTP_ERR_TLS_CERT for a missing, non-PEM, expired, mismatched or locked certificate", async () => {
    const dir = await tempDir();
    const good = await files(PEM);
    const write = async (name: string, content: string) => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    };
    const expired = generateSelfSignedCertificate({ now: new Date(Date.now() - 10 * 86_400_000), days: 2 });
    const future = generateSelfSignedCertificate({ now: new Date(Date.now() + 10 * 86_400_000) });
    const { createPrivateKey } = await import("node:crypto");
    const locked = createPrivateKey(PEM.key)
      .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" })
      .toString();
    const cases: [FtpServerTlsOptions, RegExp][] = [
      [
        { cert: join(dir, "missing.pem"), key: good.key },
        /cannot read the TLS certificate file .*missing\.pem \(ENOENT\)/,
      ],
      [{ cert: await write("junk.pem", "hello"), key: good.key }, /junk\.pem holds no PEM certificate/],
      [
        {
          cert: await write("bad.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
          key: good.key,
        },
        /certificate 1 in .*bad\.pem does not parse/,
      ],
      [{ cert: await write("expired.pem", expired.cert), key: await write("ek.pem", expired.key) }, /expired on/],
      [{ cert: await write("future.pem", future.cert), key: await write("fk.pem", future.key) }, /not valid before/],
      [{ cert: good.cert, key: await write("other.pem", generateSelfSignedCertificate().key) }, /does not belong/],
      [{ cert: good.cert, key: await write("locked.pem", locked) }, /encrypted: give tls.passphrase/],
      [{ cert: good.cert, key: await write("locked2.pem", locked), passphrase: "wrong" }, /cannot be read/],
    ];
    for (const [tls, message] of cases) {
      const server = new FtpServer({ port: 0, authenticate: () => null, tls });
      const error = await server.listen().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(FtpServerError.isInstance(error), String(error)).toBe(true);
      expect((error as FtpServerError).code).toBe("FTP_ERR_TLS_CERT");
      expect((error as FtpServerError).message).toMatch(message);
      expect(server.address()).toBeUndefined();
      await server.close();
    }
    // The locked key with its passphrase works.
    const ok = new FtpServer({
      port: 0,
      authenticate: () => null,
      tls: { cert: good.cert, key: locked, passphrase: "pw" },
    });
    await ok.listen();
    await ok.close();
  });

  it("validates TLS options up front (ZodError)", () => {
    const bad: FtpServerTlsOptions[] = [
      {},
      { cert: PEM.cert },
      { selfSigned: true, cert: PEM.cert, key: PEM.key },
      { ...TLS, minVersion: "TLSv1.3", maxVersion: "TLSv1.2" },
      { ...TLS, minVersion: "TLSv1.1" as "TLSv1.2" },
      { ...TLS, require: "always" as "control" },
      { ...TLS, implicitPort: 70000 },
    ];
    for (const tls of bad) expect(() => new FtpServer({ port: 0, authenticate: () => null, tls })).toThrow();
  });

  it("self-signed: generated at listen(), said loudly (warning event), usable as the client's CA", async () => {
    const warnings: string[] = [];
    const server = new FtpServer({
      port: 0,
      authenticate: ({ user, password }) =>
        user === "alice" && password === "secret" ? { fs: new MemoryFileSystem(FILES) } : null,
      tls: { selfSigned: true, implicitPort: 0 },
    });
    server.on("warning", (w) => warnings.push(`${w.code}: ${w.message}`));
    try {
      await server.listen();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^FTP_WARN_SELF_SIGNED: .*SELF-SIGNED.*LOCAL DEVELOPMENT ONLY/);
      const info = server.certificate;
      expect(info?.selfSigned).toBe(true);
      expect(new X509Certificate(info?.pem as string).checkHost("localhost")).toBe("localhost");
      expect(new X509Certificate(info?.pem as string).checkIP("127.0.0.1")).toBe("127.0.0.1");
      // A client that verifies against the certificate (given out of band) connects.
      const c = track(
        await RawClient.connect(server.implicitAddress()?.port as number, {
          implicit: { ca: info?.pem as string, rejectUnauthorized: true, servername: "localhost" },
        }),
      );
      await c.login("alice", "secret");
      expect(text((await c.retr("f.txt")).data)).toBe("some data\r\n");
      // Reloading makes a new one (and says so again).
      const again = await server.reloadCertificate();
      expect(again.fingerprint256).not.toBe(info?.fingerprint256);
      expect(warnings).toHaveLength(2);
    } finally {
      await server.close({ deadline: 500 });
    }
  });

  it("self-signed without a warning listener goes to process.emitWarning", async () => {
    const seen: Error[] = [];
    const onWarning = (w: Error) => seen.push(w);
    process.on("warning", onWarning);
    const server = new FtpServer({ port: 0, authenticate: () => null, tls: { selfSigned: true } });
    try {
      await server.listen();
      await new Promise((r) => setImmediate(r));
      expect(seen.map((w) => (w as Error & { code?: string }).code)).toContain("FTP_WARN_SELF_SIGNED");
    } finally {
      process.off("warning", onWarning);
      await server.close();
    }
  });
});

describe("shutdown", () => {
  it("close() answers TLS sessions with 421 over TLS, lets a protected transfer finish, and releases everything", async () => {
    const fs = new MemoryFileSystem({ "/big.bin": BIG });
    const t = await ftps({ require: "control+data" }, { fs });
    const idle = await t.explicit();
    const implicit = await t.implicit();
    const busy = await t.explicit();
    const hp = await busy.epsv();
    const raw = await RawClient.connectData(hp);
    expect((await busy.send("RETR", "big.bin")).code).toBe(150);
    const data = await tlsConnectWith(raw, busy.latestSession);
    const closing = t.server.close({ deadline: 5000 });
    expect((await idle.nextReply()).code).toBe(421);
    expect((await implicit.nextReply()).code).toBe(421);
    const chunks: Buffer[] = [];
    for await (const chunk of data) chunks.push(chunk as Buffer);
    expect(sha(Buffer.concat(chunks))).toBe(sha(BIG));
    expect((await busy.nextReply()).code).toBe(226);
    expect((await busy.nextReply()).code).toBe(421);
    await closing;
    expect(t.server.connectionCount).toBe(0);
    expect(t.server.passiveListenerCount).toBe(0);
  });
});

describe("without TLS", () => {
  it("keeps answering AUTH with 502 and lists no AUTH in FEAT", async () => {
    const t = await startServer({ files: FILES });
    const c = await t.connect();
    await c.expect("AUTH", "TLS", 502);
    expect(t.server.certificate).toBeUndefined();
    expect(t.server.implicitAddress()).toBeUndefined();
    await expect(t.server.reloadCertificate()).rejects.toThrow(/not configured/);
  });
});
