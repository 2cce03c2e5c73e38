import { FtpConnectionError, FtpError, FtpTimeoutError } from "@ftpkit/client";
import { describe, expect, it } from "vitest";
import { CliUsageError, InterruptedError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { explain } from "./failure.js";

const reply = (code: number, text: string, command?: string) => new FtpError({ code, lines: [text] }, command);

describe("explain: errors to exit codes", () => {
  const CASES: [string, unknown, number][] = [
    ["530 to PASS", reply(530, "Login incorrect.", "PASS ****"), EXIT.login],
    ["530 to USER", reply(530, "Not allowed.", "USER bob"), EXIT.login],
    ["421 greeting", reply(421, "Too many users."), EXIT.connection],
    ["550 no such file", reply(550, "No such file or directory.", "RETR x"), EXIT.notFound],
    ["550 permission", reply(550, "Permission denied.", "STOR x"), EXIT.permission],
    ["553", reply(553, "Could not create file.", "STOR x"), EXIT.permission],
    ["550 unclear", reply(550, "Failed to open file.", "RETR x"), EXIT.failure],
    ["426", reply(426, "Connection closed; transfer aborted.", "RETR x"), EXIT.transfer],
    ["452", reply(452, "Insufficient storage.", "STOR x"), EXIT.transfer],
    ["552", reply(552, "Exceeded storage allocation.", "STOR x"), EXIT.transfer],
    ["502", reply(502, "Not implemented.", "SITE x"), EXIT.failure],
    ["connect refused", new FtpConnectionError("FTP_ERR_CONNECT", "cannot connect to h:21"), EXIT.connection],
    ["closed", new FtpConnectionError("FTP_ERR_CLOSED", "closed"), EXIT.connection],
    ["data connection", new FtpConnectionError("FTP_ERR_DATA_CONNECTION", "reset"), EXIT.transfer],
    ["partial", new FtpConnectionError("FTP_ERR_PARTIAL_TRANSFER", "short"), EXIT.transfer],
    ["connect timeout", new FtpTimeoutError("FTP_ERR_CONNECT_TIMEOUT", "t", { timeout: 1 }), EXIT.connection],
    ["data timeout", new FtpTimeoutError("FTP_ERR_DATA_TIMEOUT", "t", { timeout: 1 }), EXIT.transfer],
    [
      "TLS (by stable code)",
      Object.assign(new Error("self-signed"), { errorCode: "FTP_ERR_TLS_CERT" }),
      EXIT.connection,
    ],
    ["usage", new CliUsageError("bad"), EXIT.usage],
    ["interrupted", new InterruptedError(), EXIT.interrupted],
    ["local EACCES", Object.assign(new Error("x"), { code: "EACCES", syscall: "open", path: "/x" }), EXIT.permission],
    ["local ENOSPC", Object.assign(new Error("x"), { code: "ENOSPC", syscall: "write" }), EXIT.failure],
  ];
  it.each(CASES)("%s", (_name, error, code) => {
    const explained = explain(error, "ftp://h/x");
    expect(explained.exitCode).toBe(code);
    expect(explained.message).not.toContain("\n");
  });

  it("a probe's verdict settles an unclear 550", () => {
    expect(explain(reply(550, "Failed to open file.", "RETR x"), "x", "missing").exitCode).toBe(EXIT.notFound);
    expect(explain(reply(550, "Failed to open file.", "RETR x"), "x", "permission").exitCode).toBe(EXIT.permission);
  });

  it("names what failed and quotes the reply", () => {
    expect(explain(reply(550, "No such file or directory.", "RETR a"), "ftp://h/a").message).toBe(
      "ftp://h/a: not found (550 No such file or directory.)",
    );
    expect(explain(reply(550, "", "RETR a"), "a").message).toMatch(/^a: refused \(550 \S/);
  });
});
