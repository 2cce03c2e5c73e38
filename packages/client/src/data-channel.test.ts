/**
 * Data connections against the fault server: EPSV, the PASV fallback (remembered), the
 * PASV-redirect defence, active mode with EPRT and the PORT fallback, and what happens when a
 * data connection cannot be made.
 */
import net from "node:net";
import { describe, expect, it } from "vitest";
import type { FaultContext } from "./__tests__/fault-server.js";
import { collector, connect, faultServer, random, sha256 } from "./__tests__/helpers.js";
import { FtpConnectionError } from "./errors/ftp-connection-error.js";
import { FtpTimeoutError } from "./errors/ftp-timeout-error.js";

const data = random(200_000);

describe("passive mode", () => {
  it("uses EPSV and connects to the control peer", async () => {
    const server = await faultServer({ files: { "/f": data } });
    const client = await connect(server);
    const sink = collector();
    await client.download("f", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
    expect(server.sent("EPSV")).toHaveLength(1);
    expect(server.sent("PASV")).toHaveLength(0);
  });

  it.each([500, 502, 522])("falls back to PASV when EPSV gets %i, and remembers it", async (code) => {
    const server = await faultServer({ files: { "/f": data }, script: { EPSV: (ctx) => ctx.reply(code, "no EPSV") } });
    const client = await connect(server);
    for (let i = 0; i < 3; i++) {
      const sink = collector();
      await client.download("f", sink);
      expect(sha256(sink.data())).toBe(sha256(data));
    }
    expect(server.sent("EPSV")).toHaveLength(1);
    expect(server.sent("PASV")).toHaveLength(3);
  });

  it("remembers a refused EPSV across reconnects", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: {
        EPSV: (ctx) => ctx.reply(500, "no EPSV"),
        NOOP: [
          (ctx) => {
            ctx.reply(421, "closing");
            ctx.closeControl();
          },
        ],
      },
    });
    const client = await connect(server);
    await client.download("f", collector());
    await expect(client.send("NOOP")).rejects.toMatchObject({ code: 421 });
    await client.download("f", collector());
    expect(server.connections).toBe(2);
    expect(server.sent("EPSV")).toHaveLength(1);
    expect(server.sent("PASV")).toHaveLength(2);
  });

  it("falls back to PASV when the 229 reply has no usable port", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: { EPSV: (ctx) => ctx.reply(229, "Entering Extended Passive Mode (|||99999|)") },
    });
    const client = await connect(server);
    const sink = collector();
    await client.download("f", sink);
    expect(sink.data().length).toBe(data.length);
    expect(server.sent("PASV")).toHaveLength(1);
  });

  it("fails on a 227 reply without an address", async () => {
    const server = await faultServer({
      features: ["SIZE"],
      script: { EPSV: (ctx) => ctx.reply(500, "no"), PASV: (ctx) => ctx.reply(227, "Entering Passive Mode (garbage)") },
    });
    const client = await connect(server, { retries: 0 });
    const error = await client.list().catch((e) => e);
    expect(FtpConnectionError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_BAD_PASSIVE_REPLY", command: "PASV" });
    // The control connection is still in step.
    expect(await client.pwd()).toBe("/");
  });

  it("ignores a 227 address that is not the control peer (PASV-redirect attack)", async () => {
    const server = await faultServer({
      files: { "/f": data },
      pasvHost: "10.66.66.66",
      script: { EPSV: (ctx) => ctx.reply(502, "no") },
    });
    const client = await connect(server);
    const sink = collector();
    await client.download("f", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
  });

  it("uses a foreign 227 address only with trustPasvAddress", async () => {
    // 127.0.0.2 is loopback too, but the fault server listens on 127.0.0.1 only: a client that
    // trusts the address tries 127.0.0.2 and is refused, which proves which address it used.
    const server = await faultServer({
      files: { "/f": data },
      pasvHost: "127.0.0.2",
      script: { EPSV: (ctx) => ctx.reply(502, "no") },
    });
    const trusting = await connect(server, { trustPasvAddress: true, retries: 0 });
    await expect(trusting.download("f", collector())).rejects.toMatchObject({ code: "FTP_ERR_DATA_CONNECTION" });
    const careful = await connect(server);
    const sink = collector();
    await careful.download("f", sink);
    expect(sink.data().length).toBe(data.length);
  });

  it("connects to the control host when a trusted 227 says 0.0.0.0", async () => {
    const server = await faultServer({
      files: { "/f": data },
      pasvHost: "0.0.0.0",
      script: { EPSV: (ctx) => ctx.reply(502, "no") },
    });
    const client = await connect(server, { trustPasvAddress: true });
    const sink = collector();
    await client.download("f", sink);
    expect(sink.data().length).toBe(data.length);
  });

  it("reports a passive port nobody listens on as a data connection error", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const server = await faultServer({
      files: { "/f": data },
      script: { EPSV: (ctx) => ctx.reply(229, `Entering Extended Passive Mode (|||${port}|)`) },
    });
    const client = await connect(server, { retries: 0 });
    const error = await client.download("f", collector()).catch((e) => e);
    expect(error).toMatchObject({ code: "FTP_ERR_DATA_CONNECTION" });
    expect(await client.pwd()).toBe("/");
  });
});

describe("active mode", () => {
  it("announces a listener with EPRT and receives and sends data", async () => {
    const server = await faultServer({ files: { "/f": data } });
    const client = await connect(server, { mode: "active" });
    const sink = collector();
    await client.download("f", sink);
    expect(sha256(sink.data())).toBe(sha256(data));
    await client.upload(data, "/g");
    expect(sha256(server.files.get("/g")?.data ?? Buffer.alloc(0))).toBe(sha256(data));
    expect(server.sent("EPRT")[0]).toMatch(/^EPRT \|1\|127\.0\.0\.1\|\d+\|$/);
    expect(server.sent("EPSV")).toEqual([]);
  });

  it("falls back to PORT when EPRT is refused, and remembers it", async () => {
    const server = await faultServer({ files: { "/f": data }, script: { EPRT: (ctx) => ctx.reply(500, "no EPRT") } });
    const client = await connect(server, { mode: "active" });
    await client.download("f", collector());
    await client.download("f", collector());
    expect(server.sent("EPRT")).toHaveLength(1);
    expect(server.sent("PORT")).toHaveLength(2);
    expect(server.sent("PORT")[0]).toMatch(/^PORT 127,0,0,1,\d+,\d+$/);
  });

  it("listens on a port from activePortRange", async () => {
    const server = await faultServer({ files: { "/f": data } });
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const base = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const client = await connect(server, { mode: "active", activePortRange: [base, base] });
    await client.download("f", collector());
    expect(server.sent("EPRT")).toEqual([`EPRT |1|127.0.0.1|${base}|`]);
  });

  it("times out when the server never connects", async () => {
    const server = await faultServer({
      files: { "/f": data },
      script: {
        EPRT: (ctx) => ctx.reply(200, "ok, but I will not connect"),
        RETR: (ctx) => ctx.reply(150, "Opening"),
        ABOR: (ctx) => {
          ctx.reply(426, "aborted");
          ctx.reply(226, "ABOR ok");
        },
      },
    });
    const client = await connect(server, { mode: "active", connectTimeout: 150, retries: 0 });
    const error = await client.download("f", collector()).catch((e) => e);
    expect(FtpTimeoutError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "FTP_ERR_CONNECT_TIMEOUT" });
    expect(server.sent("ABOR")).toHaveLength(1);
    expect(await client.pwd()).toBe("/");
  });

  it("refuses a data connection from another host than the control peer (RFC 2577)", async () => {
    let intruderRefused = false;
    const server = await faultServer({
      files: { "/f": data },
      script: {
        RETR: async (ctx: FaultContext) => {
          const eprt = ctx.server.sent("EPRT").at(-1) ?? "";
          const port = Number(eprt.split("|")[3]);
          // Connect from 127.0.0.2: the client must drop it.
          await new Promise<void>((resolve) => {
            const intruder = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.2" });
            intruder.on("close", () => {
              intruderRefused = true;
              resolve();
            });
            intruder.on("error", () => {});
          });
          ctx.reply(425, "Cannot open data connection");
        },
        ABOR: (ctx) => ctx.reply(225, "nothing to abort"),
      },
    });
    const client = await connect(server, { mode: "active", retries: 0 });
    await expect(client.download("f", collector())).rejects.toMatchObject({ code: 425 });
    expect(intruderRefused).toBe(true);
  });
});
