import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { FtpProtocolError, LocalProtocolError } from "../errors/index.js";
import { formatPasvReplyText, parsePasvReply, safeParsePasvReply } from "./pasv.js";

const RUNS = { numRuns: 10_000 };
const port = fc.integer({ min: 0, max: 65535 });

describe("formatPasvReplyText / parsePasvReply", { timeout: 60_000 }, () => {
  test.prop([fc.ipV4(), port], RUNS)("round-trip any IPv4 address and port", (host, p) => {
    const text = formatPasvReplyText({ host, port: p });
    expect(text).toMatch(/^Entering Passive Mode \(\d{1,3}(,\d{1,3}){5}\)\.$/);
    expect(parsePasvReply(text)).toEqual({ host, port: p });
    expect(parsePasvReply(`227 ${text}`)).toEqual({ host, port: p });
  });

  test.prop(
    [fc.ipV4(), port, fc.stringMatching(/^[A-Za-z (=:]{0,30}$/), fc.stringMatching(/^[A-Za-z ).;]{0,30}$/)],
    RUNS,
  )("finds the group inside any text that has no digits next to it", (host, p, before, after) => {
    const group = formatPasvReplyText({ host, port: p }).slice("Entering Passive Mode (".length, -2);
    expect(parsePasvReply(`227 ${before}${group}${after}`)).toEqual({ host, port: p });
  });

  it("formats exactly the RFC 959 text", () => {
    expect(formatPasvReplyText({ host: "192.0.2.1", port: 1025 })).toBe("Entering Passive Mode (192,0,2,1,4,1).");
    expect(formatPasvReplyText({ host: "::ffff:192.0.2.1", port: 1025 })).toBe(
      "Entering Passive Mode (192,0,2,1,4,1).",
    );
  });

  it("refuses to format IPv6 or bad ports", () => {
    expect(() => formatPasvReplyText({ host: "::1", port: 21 })).toThrow(LocalProtocolError);
    expect(() => formatPasvReplyText({ host: "1.2.3.4", port: 70000 })).toThrow(LocalProtocolError);
  });

  // Real-server reply variants (RFC 1123 §4.1.2.6: "scan the reply for the first digit").
  it.each([
    ["227 Entering Passive Mode (127,0,0,1,4,1).", "vsftpd / proftpd / pure-ftpd"],
    ["227 Entering Passive Mode (127,0,0,1,4,1)", "no trailing period (pyftpdlib, ftp-srv)"],
    ["Entering Passive Mode (127,0,0,1,4,1).", "text without code"],
    ["227 =127,0,0,1,4,1", "IBM z/OS and some NT servers"],
    ["227 Entering Passive Mode 127,0,0,1,4,1", "old wu-ftpd variant, no parentheses"],
    ["227 Entering Passive Mode 127,0,0,1,4,1.", "no parentheses, trailing period"],
    ["(127,0,0,1,4,1)", "bare group"],
    ["127,0,0,1,4,1", "numbers only"],
    ["227 Entering Passive Mode (127, 0, 0, 1, 4, 1)", "spaces after commas (some embedded servers)"],
    ["227 Passive mode on 127,0,0,1,4,1 ok", "text after the group"],
    ["227 Entering Passive Mode (127,0,0,1,4,1)\r\n", "trailing CRLF"],
    ["227-Passive\r\n227 Entering Passive Mode (127,0,0,1,4,1).", "multi-line"],
    ["227 Entering Passive Mode <127,0,0,1,4,1>", "angle brackets"],
    ["227 Entering Passive Mode (127,000,000,001,004,001)", "zero-padded (decimal, never octal)"],
  ])("parses %j (%s)", (text) => {
    expect(parsePasvReply(text)).toEqual({ host: "127.0.0.1", port: 1025 });
  });

  it.each([
    ["227 Entering Passive Mode (192,168,1,10,195,80).", { host: "192.168.1.10", port: 50000 }],
    ["227 Entering Passive Mode (0,0,0,0,255,255).", { host: "0.0.0.0", port: 65535 }],
    ["227 Entering Passive Mode (10,0,0,1,0,0)", { host: "10.0.0.1", port: 0 }],
  ])("parses %j", (text, expected) => {
    expect(parsePasvReply(text)).toEqual(expected);
  });

  it.each([
    "",
    "227 Entering Passive Mode",
    "227 Entering Passive Mode ()",
    "227 Entering Passive Mode (127,0,0,1,4)",
    "227 Entering Passive Mode (127,0,0,1,4,1,7)", // seven numbers: ambiguous, refuse to guess
    "227 Entering Passive Mode (9,127,0,0,1,4,1)",
    "227 Entering Passive Mode (127,0,0,1,4,256)", // basic-ftp's `& 255` would make this 1024
    "227 Entering Passive Mode (127,0,0,1,256,1)",
    "227 Entering Passive Mode (256,0,0,1,4,1)",
    "227 Entering Passive Mode (127,0,0,1,4,-1)", // basic-ftp accepts `[-\d]+`
    "227 Entering Passive Mode (-127,0,0,1,4,1)",
    "227 Entering Passive Mode (127,0,0,1,4,99999999999)",
    "227 Entering Passive Mode (127,0,0,1,99999999999,1)",
    "227 Entering Passive Mode (127,0,0,1,4,a)",
    "227 Entering Passive Mode (a,b,c,d,e,f)",
    "227 Entering Passive Mode (127.0.0.1:1025)",
    "227 Entering Passive Mode (127,0,0,1,\r\n4,1)", // the group must not span lines
    "227 Entering Passive Mode (１２７,0,0,1,4,1)",
  ])("rejects %j with 501 FTP_ERR_PASV_REPLY", (text) => {
    const result = safeParsePasvReply(text);
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(LocalProtocolError.isInstance(result.error)).toBe(true);
      expect(result.error.replyHint).toBe(501);
      expect(result.error.code).toBe("FTP_ERR_PASV_REPLY");
    }
  });

  test.prop([fc.string({ unit: "binary", maxLength: 80 })], RUNS)(
    "any string: a value or an FtpProtocolError",
    (text) => {
      try {
        const value = parsePasvReply(text);
        expect(parsePasvReply(formatPasvReplyText(value))).toEqual(value);
      } catch (error) {
        expect(FtpProtocolError.isInstance(error)).toBe(true);
      }
    },
  );

  test.prop([fc.array(fc.integer({ min: -300, max: 70_000 }), { minLength: 5, maxLength: 7 })], RUNS)(
    "near-miss number lists: parsed only when exactly six values 0..255",
    (numbers) => {
      const result = safeParsePasvReply(`227 Entering Passive Mode (${numbers.join(",")}).`);
      expect(result.success).toBe(numbers.length === 6 && numbers.every((n) => n >= 0 && n <= 255));
    },
  );
});
