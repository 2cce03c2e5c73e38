/** diagnostics_channel events, NOOP keep-alive, and the error classes' contract. */
import diagnosticsChannel from "node:diagnostics_channel";
import { describe, expect, it } from "vitest";
import { connect, faultServer, onCleanup } from "../__tests__/helpers.js";
import { FtpConnectionError } from "../errors/ftp-connection-error.js";
import { FtpError } from "../errors/ftp-error.js";
import { FtpTimeoutError } from "../errors/ftp-timeout-error.js";
import { isConnectionLoss } from "../errors/retryable.js";
import type { FtpCommandMessage, FtpReplyMessage } from "./diagnostics.js";

describe("diagnostics_channel", () => {
  it("publishes every command (PASS masked) and every reply with the command it answers", async () => {
    const commands: FtpCommandMessage[] = [];
    const replies: FtpReplyMessage[] = [];
    const onCommand = (m: unknown) => commands.push(m as FtpCommandMessage);
    const onReply = (m: unknown) => replies.push(m as FtpReplyMessage);
    diagnosticsChannel.subscribe("ftp:client:command", onCommand);
    diagnosticsChannel.subscribe("ftp:client:reply", onReply);
    onCleanup(() => {
      diagnosticsChannel.unsubscribe("ftp:client:command", onCommand);
      diagnosticsChannel.unsubscribe("ftp:client:reply", onReply);
    });
    const server = await faultServer({ files: { "/f": "x" } });
    const client = await connect(server);
    await client.download("f", "/dev/null");
    const mine = commands.filter((m) => m.port === server.port);
    expect(mine.map((m) => m.command)).toEqual([
      "USER user",
      "PASS ****",
      "FEAT",
      "OPTS UTF8 ON",
      "PWD",
      "TYPE I",
      "SIZE f",
      "EPSV",
      "RETR f",
    ]);
    expect(new Set(mine.map((m) => m.connectionId)).size).toBe(1);
    const answered = replies.filter((m) => m.port === server.port).map((m) => [m.command, m.reply.code]);
    expect(answered[0]).toEqual([undefined, 220]);
    expect(answered).toContainEqual(["PASS ****", 230]);
    expect(answered).toContainEqual(["RETR f", 150]);
    expect(answered.at(-1)).toEqual(["RETR f", 226]);
    // QUIT's 221 is published once, though it both answers QUIT and closes the session.
    await client.close();
    const after = replies.filter((m) => m.port === server.port).map((m) => m.reply.code);
    expect(after.filter((code) => code === 221)).toEqual([221]);
  });
});

describe("keep-alive", () => {
  it("sends NOOP while idle, and not while busy or when disabled", async () => {
    const server = await faultServer();
    const client = await connect(server, { keepAlive: 40 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.sent("NOOP").length).toBeGreaterThanOrEqual(2);
    expect(await client.pwd()).toBe("/");
    const quiet = await faultServer();
    await connect(quiet, { keepAlive: false });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(quiet.sent("NOOP")).toEqual([]);
  });

  it("a failed keep-alive only closes the connection; the next call opens a new one", async () => {
    const server = await faultServer({
      script: {
        NOOP: [
          (ctx) => {
            ctx.reply(421, "bye");
            ctx.closeControl();
          },
        ],
      },
    });
    const client = await connect(server, { keepAlive: 30 });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await client.pwd()).toBe("/");
    expect(server.connections).toBe(2);
  });
});

describe("errors", () => {
  const reply = { code: 550, lines: ["No such file"] };

  it("are branded with Symbol.for so isInstance works across copies of the package", () => {
    const errors = [
      new FtpError(reply, "RETR f"),
      new FtpTimeoutError("FTP_ERR_REPLY_TIMEOUT", "slow", { timeout: 5 }),
      new FtpConnectionError("FTP_ERR_CLOSED", "gone"),
    ];
    const names = ["FtpError", "FtpTimeoutError", "FtpConnectionError"];
    errors.forEach((error, i) => {
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(names[i]);
      expect((error as unknown as Record<symbol, boolean>)[Symbol.for(`ftp.error.${names[i]}`)]).toBe(true);
    });
    // A look-alike from another copy of the package is recognised by its brand.
    const foreign = Object.assign(new Error("x"), { [Symbol.for("ftp.error.FtpError")]: true });
    expect(FtpError.isInstance(foreign)).toBe(true);
    expect(FtpError.isInstance(errors[1])).toBe(false);
    expect(FtpTimeoutError.isInstance(errors[0])).toBe(false);
    expect(FtpConnectionError.isInstance(null)).toBe(false);
    expect(FtpConnectionError.isInstance("FTP_ERR_CLOSED")).toBe(false);
  });

  it("carry a stable code string and their cause", () => {
    const cause = new Error("ECONNRESET");
    expect(new FtpError(reply, "RETR f", { cause })).toMatchObject({
      code: 550,
      errorCode: "FTP_ERR_REPLY",
      lines: ["No such file"],
      command: "RETR f",
      transient: false,
      cause,
      message: "550 No such file (RETR f)",
    });
    expect(new FtpConnectionError("FTP_ERR_SOCKET", "broken", { cause })).toMatchObject({
      code: "FTP_ERR_SOCKET",
      errorCode: "FTP_ERR_SOCKET",
      cause,
    });
    expect(new FtpTimeoutError("FTP_ERR_DATA_TIMEOUT", "idle", { timeout: 9, cause, command: "RETR f" })).toMatchObject(
      {
        code: "FTP_ERR_DATA_TIMEOUT",
        errorCode: "FTP_ERR_DATA_TIMEOUT",
        timeout: 9,
        command: "RETR f",
        cause,
      },
    );
    expect(new FtpError({ code: 451, lines: ["later"] }, undefined).transient).toBe(true);
  });

  it("classify which failures a new connection may fix", () => {
    expect(isConnectionLoss(new FtpConnectionError("FTP_ERR_CLOSED", "x"))).toBe(true);
    expect(isConnectionLoss(new FtpConnectionError("FTP_ERR_CLIENT_CLOSED", "x"))).toBe(false);
    expect(isConnectionLoss(new FtpConnectionError("FTP_ERR_BAD_PASSIVE_REPLY", "x"))).toBe(false);
    expect(isConnectionLoss(new FtpTimeoutError("FTP_ERR_REPLY_TIMEOUT", "x", { timeout: 1 }))).toBe(true);
    for (const code of [421, 425, 426]) expect(isConnectionLoss(new FtpError({ code, lines: [""] }, "x"))).toBe(true);
    for (const code of [450, 451, 530, 550])
      expect(isConnectionLoss(new FtpError({ code, lines: [""] }, "x"))).toBe(false);
    expect(isConnectionLoss(new Error("x"))).toBe(false);
  });
});
