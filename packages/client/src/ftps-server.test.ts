/**
 * FTPS loopback: @ftpkit/client against @ftpkit/server's FTPS (explicit AUTH TLS and the
 * implicit listener), with TLS required for the control and the data connections and data
 * connections refused unless they resume the control connection's session.
 */
import diagnosticsChannel from "node:diagnostics_channel";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import tls from "node:tls";
// biome-ignore lint/style/noRestrictedImports: a test may use the server (DESIGN.md "Testing, layer by layer" 3).
import { FtpServer, type FtpServerTlsOptions, MemoryFileSystem } from "@ftpkit/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { collector, FAST, onCleanup, random, sha256, tempDir } from "./__tests__/helpers.js";
import { CA_CERT, SERVER_CERT, SERVER_KEY } from "./__tests__/tls-fixtures.js";
import { Client } from "./client.js";
import { FtpTlsError } from "./errors/ftp-tls-error.js";
import type { ConnectOptions } from "./options.js";
import { Pool } from "./pool.js";
import type { FtpTlsMessage } from "./transport/diagnostics.js";

const MiB = 1024 * 1024;
const big = random(3 * MiB + 99);

async function ftpsServer(tlsOptions: FtpServerTlsOptions = {}) {
  const fs = new MemoryFileSystem({ "/hello.txt": "hello\n" });
  const server = new FtpServer({
    host: "127.0.0.1",
    port: 0,
    authenticate: () => ({ fs }),
    limits: { failedLoginDelay: 0 },
    tls: { cert: SERVER_CERT, key: SERVER_KEY, implicitPort: 0, require: "control+data", ...tlsOptions },
  });
  const { port } = await server.listen();
  onCleanup(() => server.close());
  const implicitPort = server.implicitAddress()?.port as number;
  return { fs, server, port, implicitPort };
}

function options(
  target: { port: number; implicitPort: number },
  implicit: boolean,
  extra: Partial<ConnectOptions> = {},
): ConnectOptions {
  return {
    host: "127.0.0.1",
    port: implicit ? target.implicitPort : target.port,
    user: "u",
    password: "p",
    ...FAST,
    secure: implicit ? "implicit" : true,
    ...extra,
    secureOptions: { ca: CA_CERT, ...extra.secureOptions },
  };
}

function tlsMessages(): FtpTlsMessage[] {
  const seen: FtpTlsMessage[] = [];
  const onTls = (m: unknown) => seen.push(m as FtpTlsMessage);
  diagnosticsChannel.subscribe("ftp:client:tls", onTls);
  onCleanup(() => {
    diagnosticsChannel.unsubscribe("ftp:client:tls", onTls);
  });
  return seen;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe.each([false, true])("implicit: %s", (implicit) => {
  describe.each(["TLSv1.3", "TLSv1.2"] as const)("%s", (version) => {
    it.each(["passive", "active"] as const)(
      "%s: upload, download (SHA-256), list, many transfers, every data connection resumed",
      async (mode) => {
        const target = await ftpsServer();
        const seen = tlsMessages();
        const client = await Client.connect(
          options(target, implicit, { mode, secureOptions: { maxVersion: version } }),
        );
        onCleanup(() => client.close());
        const local = await tempDir();
        await writeFile(path.join(local, "big.bin"), big);
        await client.upload(path.join(local, "big.bin"), "big.bin");
        await client.download("big.bin", path.join(local, "back.bin"));
        expect(sha256(await readFile(path.join(local, "back.bin")))).toBe(sha256(big));
        for (let i = 0; i < 6; i++) {
          const bytes = random(10_000 + i);
          await client.upload(bytes, `f${i}.bin`);
          const sink = collector();
          await client.download(`f${i}.bin`, sink);
          expect(sha256(sink.data())).toBe(sha256(bytes));
        }
        const names = (await client.list()).map((e) => e.name).sort();
        expect(names).toEqual(["big.bin", "f0.bin", "f1.bin", "f2.bin", "f3.bin", "f4.bin", "f5.bin", "hello.txt"]);
        const data = seen.filter((m) => m.role === "data");
        expect(data.length).toBe(15);
        expect(data.every((m) => m.protocol === version && m.sessionOffered && m.sessionReused)).toBe(true);
        expect(seen.filter((m) => m.role === "control").map((m) => m.protocol)).toEqual([version]);
      },
    );
  });

  it("PROT C where the server requires only a protected control connection", async () => {
    const target = await ftpsServer({ require: "control" });
    const seen = tlsMessages();
    const client = await Client.connect(options(target, implicit, { dataProtection: "clear" }));
    onCleanup(() => client.close());
    await client.upload(big, "clear.bin");
    const sink = collector();
    await client.download("clear.bin", sink);
    expect(sha256(sink.data())).toBe(sha256(big));
    expect(seen.filter((m) => m.role === "data")).toEqual([]);
  });

  it("PROT C where the server requires protected data: refused, typed", async () => {
    const target = await ftpsServer({ require: "control+data" });
    const error = await Client.connect(options(target, implicit, { dataProtection: "clear" })).catch((e: unknown) => e);
    expect(FtpTlsError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_TLS_REFUSED", tlsCode: "534", command: "PROT C" });
  });
});

describe("session resumption against @ftpkit/server", () => {
  it("TLS 1.3: tickets renewed on data connections are offered next", async () => {
    const target = await ftpsServer();
    const connect = tls.connect;
    const received: Buffer[] = [];
    const offers: { offered: Buffer | undefined; newest: Buffer | undefined }[] = [];
    let control = true;
    vi.spyOn(tls, "connect").mockImplementation(((o: tls.ConnectionOptions) => {
      if (!control) offers.push({ offered: o.session, newest: received.at(-1) });
      const socket = connect(o);
      const isControl = control;
      control = false;
      socket.on("session", (session: Buffer) => {
        if (isControl || socket.isSessionReused()) received.push(session);
      });
      return socket;
    }) as typeof tls.connect);
    const client = await Client.connect(options(target, false, { secureOptions: { minVersion: "TLSv1.3" } }));
    onCleanup(() => client.close());
    for (let i = 0; i < 6; i++) await client.list();
    expect(offers.length).toBe(6);
    for (const { offered, newest } of offers) {
      expect(offered).toBeDefined();
      expect(offered).toBe(newest);
    }
    // More tickets than the control connection's two: the server renews them on resumption.
    expect(received.length).toBeGreaterThan(2);
  });

  it("a data connection that does not resume is refused: FTP_ERR_TLS_SESSION_NOT_RESUMED", async () => {
    const target = await ftpsServer();
    const connect = tls.connect;
    vi.spyOn(tls, "connect").mockImplementation(((o: tls.ConnectionOptions) =>
      connect({ ...o, session: undefined })) as typeof tls.connect);
    const client = await Client.connect(options(target, false));
    onCleanup(() => client.close());
    const error = await client.download("hello.txt", collector()).catch((e: unknown) => e);
    expect(FtpTlsError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_TLS_SESSION_NOT_RESUMED", connection: "data" });
    vi.restoreAllMocks();
    const sink = collector();
    await client.download("hello.txt", sink);
    expect(sink.data().toString()).toBe("hello\n");
  });

  it("a pool: each connection resumes its own session", async () => {
    const target = await ftpsServer();
    const seen = tlsMessages();
    const pool = new Pool({ ...options(target, true), size: 3 });
    onCleanup(() => pool.close());
    const files = Array.from({ length: 9 }, (_, i) => random(30_000 + i));
    await Promise.all(files.map((bytes, i) => pool.upload(bytes, `p${i}.bin`)));
    const back = await Promise.all(
      files.map(async (_, i) => {
        const sink = collector();
        await pool.download(`p${i}.bin`, sink);
        return sha256(sink.data());
      }),
    );
    expect(back).toEqual(files.map(sha256));
    expect(seen.filter((m) => m.role === "control").length).toBe(3);
    expect(seen.filter((m) => m.role === "data").every((m) => m.sessionReused)).toBe(true);
  });
});
