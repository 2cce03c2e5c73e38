/**
 * @ftpkit/client over FTPS (RFC 4217) against real servers we did not write, each started by
 * the harness with TLS required for both the control and the data connections:
 * - vsftpd 3.0.3 with `ssl_enable=YES` and `require_ssl_reuse=YES` (explicit and implicit);
 * - ProFTPD 1.3.8 with mod_tls (data connections must resume the session by default;
 *   explicit and implicit);
 * - pure-ftpd 1.0.50 with `--tls=3` (explicit only: Debian builds it without implicit TLS);
 * - pyftpdlib 1.5.7's TLS_FTPHandler (explicit only; it drops a data connection whose
 *   handshake starts before the transfer command, so this also checks that the client starts
 *   it after the 1yz).
 *
 * The matrix: server × explicit/implicit × TLS 1.3/1.2 × passive/active. Each cell logs in,
 * uploads and downloads a multi-MiB file (SHA-256 on both sides), a second file, lists, and
 * checks that every data connection was protected with the requested TLS version and resumed
 * the control connection's session. The table is printed at the end.
 */
import { createHash, randomBytes } from "node:crypto";
import diagnosticsChannel from "node:diagnostics_channel";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import tls from "node:tls";
import { Client, type ConnectOptions, type FtpCommandMessage, FtpTlsError, type FtpTlsMessage } from "@ftpkit/client";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import {
  PEER_FEATURES,
  PEER_NAMES,
  type PeerName,
  peerImplicitTls,
  type RunningPeer,
  startPeer,
  stopAllPeers,
} from "./peers.js";

const MiB = 1024 * 1024;
const big = randomBytes(4 * MiB + 4321);
const small = randomBytes(100_000 + 17);
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

const VERSIONS = ["TLSv1.3", "TLSv1.2"] as const;
const MODES = ["passive", "active"] as const;
type Version = (typeof VERSIONS)[number];
type Mode = (typeof MODES)[number];

/** One matrix cell. */
interface Cell {
  server: PeerName;
  tls: "explicit" | "implicit";
  version: Version;
  mode: Mode;
  result: string;
  dataConnections: number;
  offered: number;
  resumed: number;
  ms: number;
}
const matrix: Cell[] = [];

const tlsMessages: FtpTlsMessage[] = [];
const commands: FtpCommandMessage[] = [];
const onTls = (m: unknown) => tlsMessages.push(m as FtpTlsMessage);
const onCommand = (m: unknown) => commands.push(m as FtpCommandMessage);
diagnosticsChannel.subscribe("ftp:client:tls", onTls);
diagnosticsChannel.subscribe("ftp:client:command", onCommand);

afterAll(async () => {
  diagnosticsChannel.unsubscribe("ftp:client:tls", onTls);
  diagnosticsChannel.unsubscribe("ftp:client:command", onCommand);
  await stopAllPeers();
  if (matrix.length > 0) {
    const rows = matrix.map(
      (c) =>
        `| ${c.server} | ${c.tls} | ${c.version} | ${c.mode} | ${c.result} | ${c.offered}/${c.dataConnections} | ${c.resumed}/${c.dataConnections} | ${c.ms} |`,
    );
    console.log(
      [
        "",
        "FTPS interop matrix (@ftpkit/client against real servers)",
        "",
        "| server | TLS mode | TLS version | data mode | result | session offered | session resumed | ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ...rows,
        "",
      ].join("\n"),
    );
  }
});

/** A Writable collecting what it is given. */
function collector(): Writable & { data(): Buffer } {
  const chunks: Buffer[] = [];
  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  }) as Writable & { data(): Buffer };
  writable.data = () => Buffer.concat(chunks);
  return writable;
}

describe.each(PEER_NAMES)("%s", (name: PeerName) => {
  const tlsModes = peerImplicitTls(name) ? (["explicit", "implicit"] as const) : (["explicit"] as const);

  describe.each(tlsModes)("%s FTPS", (tlsMode) => {
    let peer: RunningPeer;
    let ca: string;
    let work: string;
    const clients: Client[] = [];
    const open = async (options: Partial<ConnectOptions> = {}): Promise<Client> => {
      const client = await Client.connect({
        host: peer.host,
        port: peer.port,
        user: peer.user,
        password: peer.password,
        timeout: 15_000,
        keepAlive: false,
        secure: tlsMode === "implicit" ? "implicit" : true,
        ...options,
        secureOptions: { ca, ...options.secureOptions },
      });
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      peer = await startPeer(name, { tls: tlsMode });
      ca = await readFile(peer.certFile as string, "utf8");
      work = await mkdtemp(path.join(os.tmpdir(), `ftpkit-ftps-interop-${name}-`));
    });

    // pure-ftpd allows 10 sessions: every test closes what it opened.
    afterEach(async () => {
      vi.restoreAllMocks();
      await Promise.all(clients.splice(0).map((c) => c.close()));
    });

    afterAll(async () => {
      await peer?.stop();
      await rm(work, { recursive: true, force: true });
    });

    describe.each(VERSIONS)("%s", (version) => {
      test.each(MODES)("%s: login, list, upload + download (SHA-256), several transfers per session", async (mode) => {
        const started = Date.now();
        const cell: Cell = {
          server: name,
          tls: tlsMode,
          version,
          mode,
          result: "FAIL",
          dataConnections: 0,
          offered: 0,
          resumed: 0,
          ms: 0,
        };
        matrix.push(cell);
        const firstTls = tlsMessages.length;
        const firstCommand = commands.length;
        const client = await open({
          mode,
          secureOptions: version === "TLSv1.2" ? { maxVersion: "TLSv1.2" } : { minVersion: "TLSv1.3" },
        });
        const dir = `/${tlsMode}-${version}-${mode}`;
        await client.mkdir(dir);
        await client.cd(dir);
        const local = path.join(work, `${tlsMode}-${version}-${mode}.bin`);
        await writeFile(local, big);
        await client.upload(local, "big.bin");
        await client.upload(small, "small.bin");
        const entries = await client.list();
        expect(entries.map((e) => [e.name, e.size]).sort()).toEqual([
          ["big.bin", big.length],
          ["small.bin", small.length],
        ]);
        const back = `${local}.back`;
        await client.download("big.bin", back);
        expect(sha256(await readFile(back))).toBe(sha256(big));
        const sink = collector();
        await client.download("small.bin", sink);
        expect(sha256(sink.data())).toBe(sha256(small));
        expect(sha256(await readFile(path.join(peer.root, dir, "big.bin")))).toBe(sha256(big));
        await client.close();

        const sent = commands.slice(firstCommand).map((m) => m.command);
        expect(sent).toContain("PROT P");
        expect(sent.includes("AUTH TLS")).toBe(tlsMode === "explicit");
        expect(sent).toContain(
          mode === "passive"
            ? sent.includes("EPSV")
              ? "EPSV"
              : "PASV"
            : sent.find((c) => c.startsWith("EPRT") || c.startsWith("PORT")),
        );
        const handshakes = tlsMessages.slice(firstTls);
        const control = handshakes.filter((m) => m.role === "control");
        const data = handshakes.filter((m) => m.role === "data");
        expect(control.map((m) => m.protocol)).toEqual([version]);
        expect(data.length).toBe(5);
        expect(data.every((m) => m.protocol === version)).toBe(true);
        cell.dataConnections = data.length;
        cell.offered = data.filter((m) => m.sessionOffered).length;
        cell.resumed = data.filter((m) => m.sessionReused).length;
        if (PEER_FEATURES[name].tlsSessionReuseRequired) {
          expect(cell.offered).toBe(data.length);
          expect(cell.resumed).toBe(data.length);
        } else if (cell.offered === 0) {
          // pure-ftpd sends no TLS 1.3 session ticket: nothing to offer, so full handshakes,
          // which it accepts (it does not require reuse).
          expect(name).toBe("pure-ftpd");
          expect(version).toBe("TLSv1.3");
        }
        cell.result = "pass";
        cell.ms = Date.now() - started;
      });
    });

    test("TLS 1.3: every data connection offers the newest ticket (control or data connection)", async () => {
      // Spies on node:tls to see which session each handshake offers and which tickets arrive.
      const connect = tls.connect;
      const received: Buffer[] = [];
      const fromData: Buffer[] = [];
      const offers: { offered: Buffer | undefined; newest: Buffer | undefined }[] = [];
      let control = true;
      vi.spyOn(tls, "connect").mockImplementation(((options: tls.ConnectionOptions) => {
        if (!control) offers.push({ offered: options.session, newest: received.at(-1) });
        const socket = connect(options);
        const isControl = control;
        control = false;
        socket.on("session", (session: Buffer) => {
          if (!isControl && !socket.isSessionReused()) return;
          received.push(session);
          if (!isControl) fromData.push(session);
        });
        return socket;
      }) as typeof tls.connect);
      const client = await open({ secureOptions: { minVersion: "TLSv1.3" } });
      await client.mkdir("/tickets");
      for (let i = 0; i < 4; i++) await client.upload(small, `/tickets/t${i}.bin`);
      for (let i = 0; i < 4; i++) await client.list("/tickets");
      await client.close();
      expect(offers.length).toBe(8);
      for (const { offered, newest } of offers) expect(offered).toBe(newest);
      console.log(
        `${name} ${tlsMode} TLS 1.3: ${received.length - fromData.length} tickets on the control connection, ${fromData.length} on the 8 data connections`,
      );
      if (name === "pure-ftpd") {
        expect(received.length).toBe(0);
      } else {
        // vsftpd, ProFTPD and pyftpdlib renew tickets on data connections: those are offered next.
        expect(fromData.length).toBeGreaterThan(0);
        expect(offers.filter((o) => fromData.includes(o.offered as Buffer)).length).toBeGreaterThan(0);
      }
    });

    if (PEER_FEATURES[name].tlsSessionReuseRequired) {
      test.each(VERSIONS)(
        "%s: a data connection that does not resume the session is refused: FTP_ERR_TLS_SESSION_NOT_RESUMED",
        async (version) => {
          // What stock ftplib and old basic-ftp do: a data handshake without the session.
          const connect = tls.connect;
          vi.spyOn(tls, "connect").mockImplementation(((options: tls.ConnectionOptions) =>
            connect({ ...options, session: undefined })) as typeof tls.connect);
          const client = await open({
            secureOptions: version === "TLSv1.2" ? { maxVersion: "TLSv1.2" } : { minVersion: "TLSv1.3" },
          });
          const error = await client.list().catch((e: unknown) => e);
          expect(FtpTlsError.isInstance(error)).toBe(true);
          expect(error).toMatchObject({ code: "FTP_ERR_TLS_SESSION_NOT_RESUMED", connection: "data" });
          console.log(`${name} ${tlsMode} ${version}: ${(error as Error).message}`);
          vi.restoreAllMocks();
          // The client still works: ProFTPD keeps the control connection; vsftpd ends it after
          // the refusal, and the next call reconnects.
          expect(Array.isArray(await client.list("/"))).toBe(true);
        },
      );
    }

    if (tlsMode === "explicit") {
      test("a certificate the client does not trust: FTP_ERR_TLS_CERT, nothing sent after AUTH TLS", async () => {
        const error = await Client.connect({
          host: peer.host,
          port: peer.port,
          user: peer.user,
          password: peer.password,
          timeout: 15_000,
          keepAlive: false,
          secure: true,
        }).catch((e: unknown) => e);
        expect(FtpTlsError.isInstance(error)).toBe(true);
        expect(error).toMatchObject({ code: "FTP_ERR_TLS_CERT", tlsCode: "DEPTH_ZERO_SELF_SIGNED_CERT" });
      });

      test("PROT C (clear data) where the server requires protected data: refused, typed", async () => {
        const client = await open({ dataProtection: "clear" }).catch((e: unknown) => e);
        if (client instanceof Client) {
          // The server accepted PROT C; then it must refuse the transfer itself.
          await expect(client.list()).rejects.toBeDefined();
        } else {
          expect(client).toMatchObject({ name: "FtpTlsError", code: "FTP_ERR_TLS_REFUSED", command: "PROT C" });
        }
      });
    }
  });
});
